/**
 * The packed package in Chromium (Debian's, through playwright-core),
 * loaded unbundled: a page imports node_modules/wsdriver/dist/browser/index.js
 * by path, with no import map, and so does a module Worker it starts. In
 * each, a client driver and a server driver talk in memory (the shared
 * scenario). Which masking kernel ran is read from maskingImplementation().
 * Then the same under a Content-Security-Policy without 'wasm-unsafe-eval'
 * (sent with the page and the Worker script: the JavaScript kernel must
 * run), and the page bundled by esbuild for the browser, which must hold no
 * `node:` import.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, type LaunchedChromium } from '../helpers/chromium.js';
import type { ClientReport, ServerReport } from './programs/scenario.js';
import { installedPackage, type InstalledPackage } from './support/installed-package.js';

const here = hasChromium();

/** No 'wasm-unsafe-eval': WebAssembly may not be compiled. */
const CSP = "default-src 'self'; script-src 'self'; worker-src 'self'";
const PAGE = '<!doctype html><meta charset="utf-8"><title>wsdriver</title><script type="module" src="browser-page.js"></script>';
const BUNDLED_PAGE = '<!doctype html><meta charset="utf-8"><title>wsdriver bundled</title><script type="module" src="bundle.js"></script>';

interface BrowserReport {
  where: string;
  client: ClientReport;
  server: ServerReport;
  masking: string;
  wasmCompiles: boolean;
}

let installed: InstalledPackage;
let browser: LaunchedChromium;
let server: http.Server;
let origin: string;
let bundle: string;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8' };

beforeAll(async () => {
  if (!here) return;
  installed = await installedPackage();
  const bundled = await build({
    entryPoints: [path.join(installed.programs, 'browser-bundle-entry.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  bundle = bundled.outputFiles[0]!.text;

  // /node_modules/ from the scratch project, everything else from the
  // programs; under /csp/ the same files, each sent with the policy.
  server = http.createServer(async (request, response) => {
    let pathname = new URL(request.url!, 'http://x').pathname;
    const headers: Record<string, string> = {};
    if (pathname.startsWith('/csp/')) {
      headers['content-security-policy'] = CSP;
      pathname = pathname.slice('/csp'.length);
    }
    let body: string | Buffer | undefined;
    if (pathname === '/') body = PAGE;
    else if (pathname === '/bundled') body = BUNDLED_PAGE;
    else if (pathname === '/bundle.js') body = bundle;
    else {
      const base = pathname.startsWith('/node_modules/') ? installed.dir : installed.programs;
      const file = path.join(base, path.normalize(pathname));
      if (file.startsWith(base + path.sep)) body = await readFile(file).catch(() => undefined);
    }
    const type = pathname === '/' || pathname === '/bundled' ? TYPES['.html']! : TYPES[path.extname(pathname)];
    if (body === undefined || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  installed?.dispose();
}, 60_000);

/** Opens `url`, waits for `globalThis.report`, and returns it. */
async function reportOf(url: string): Promise<BrowserReport[]> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { report?: unknown }).report !== undefined, undefined, { timeout: 20_000 }).catch(() => {
      throw new Error(`no report from ${url}: ${problems.join('; ')}`);
    });
    return await page.evaluate(() => (globalThis as unknown as { report: Promise<BrowserReport[]> }).report);
  } finally {
    await page.close();
  }
}

/** The scenario went through: text, 1 MiB byte for byte both ways, the ping answered, the close each side saw. */
function expectExchange(report: BrowserReport): void {
  const reason = `${report.where} done`;
  expect(report.client).toMatchObject({ opened: true, textEchoed: true, binaryType: 'Uint8Array', binaryMismatchAt: -1, pingAnswered: true, errors: [] });
  // The peer (the server driver) sees the code and reason; its echo carries the code only.
  expect(report.client.close).toEqual({ code: 4000, reason: '', wasClean: true });
  expect(report.server).toEqual({ binaryMismatchAt: -1, close: { code: 4000, reason, wasClean: true }, errors: [] });
}

describe.skipIf(!here)('wsdriver in Chromium, unbundled from the installed tarball', () => {
  it('runs in a page and in a module Worker, importing dist/browser/index.js by path; WebAssembly SIMD masks', async () => {
    const [page, worker] = await reportOf(`${origin}/`);
    expect(page!.where).toBe('page');
    expect(worker!.where).toBe('worker');
    for (const report of [page!, worker!]) {
      expectExchange(report);
      expect(report.wasmCompiles).toBe(true);
      expect(report.masking).toBe('wasm-simd');
    }
  });

  it("runs under a Content-Security-Policy without 'wasm-unsafe-eval', page and Worker: the JavaScript kernel masks", async () => {
    const [page, worker] = await reportOf(`${origin}/csp/`);
    for (const report of [page!, worker!]) {
      expectExchange(report);
      expect(report.wasmCompiles, `${report.where}: the policy forbids compiling`).toBe(false);
      expect(report.masking).toBe('javascript');
    }
  });

  it('bundled by esbuild for the browser: no node: import, and the page runs it', async () => {
    expect(bundle).not.toMatch(/["']node:/);
    expect(bundle).not.toMatch(/\brequire\(/);
    const [report] = await reportOf(`${origin}/bundled`);
    expectExchange(report!);
    expect(report!.masking).toBe('wasm-simd');
  });
});
