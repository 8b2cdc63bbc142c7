/**
 * WebSocket over HTTP/2 with a real browser: Debian's Chromium, headless,
 * driven by playwright-core. The page comes from a node:http2 TLS server
 * that advertises SETTINGS_ENABLE_CONNECT_PROTOCOL; Chromium then opens
 * `new WebSocket('wss://…')` as an extended CONNECT stream on that same
 * HTTP/2 connection (RFC 8441), which handleHttp2Stream serves. The server
 * also takes HTTP/1.1, so a browser falling back to the Upgrade handshake
 * would be seen, and fail the test, rather than hang it.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloseEvent, FramingServerDriver } from '../../lib/index.js';
import { handleHttp2Stream, handleUpgrade, perMessageDeflate } from '../../lib/adapters/node/index.js';
import { selfSignedCertificate } from '../proxy/support/certificate.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { OPENSSL, peerAvailable } from '../helpers/peers.js';

const peersHere = hasChromium() && peerAvailable(OPENSSL);

const PAGE = '<!doctype html><meta charset="utf-8"><title>wsdriver over HTTP/2</title><p>ready</p>';

interface Accepted {
  headers: http2.IncomingHttpHeaders;
  driver: FramingServerDriver;
  closed: Promise<CloseEvent>;
}

const cleanups: Array<() => unknown> = [];
const accepted: Accepted[] = [];
let http11Upgrades = 0;
let context: BrowserContext;
let origin: string;

beforeAll(async () => {
  if (!peersHere) return;
  const certificate = await selfSignedCertificate();
  const server = http2.createSecureServer({
    key: certificate.key,
    cert: certificate.cert,
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    if (headers[':method'] !== 'CONNECT') {
      stream.respond({ ':status': headers[':path'] === '/' ? 200 : 404, 'content-type': 'text/html; charset=utf-8' });
      stream.end(headers[':path'] === '/' ? PAGE : 'not found');
      return;
    }
    const driver = handleHttp2Stream(stream, headers, { protocols: ['chat'], maxLength: 8 * 1024 * 1024 });
    driver.addExtension(perMessageDeflate());
    driver.on('error', () => {});
    driver.on('message', (event) => {
      if (event.data === 'please close') driver.close(1001, 'server says bye');
      else if (typeof event.data === 'string') driver.text(event.data);
      else driver.binary(event.data);
    });
    const closed = new Promise<CloseEvent>((resolve) => driver.once('close', resolve));
    accepted.push({ headers, driver, closed });
  });
  server.on('upgrade', (request, socket, head) => {
    http11Upgrades++;
    handleUpgrade(request, socket, head).on('message', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  );
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;

  const browser = await launchChromium({ ignoreHTTPSErrors: true });
  cleanups.push(() => browser.close());
  context = browser.context;
}, 120_000);

afterAll(async () => {
  for (const task of cleanups.splice(0).reverse()) await task();
}, 60_000);

interface PageReport {
  protocol: string;
  extensions: string;
  echoesMatch: boolean[];
  close: { code: number; reason: string; wasClean: boolean };
}

/** In the page: open a WebSocket, send each message, compare the echoes, then close (or ask the server to). */
async function runPage(url: string, serverCloses: boolean): Promise<PageReport> {
  const page = await context.newPage();
  try {
    await page.goto(origin + '/');
    return await page.evaluate(
      async ({ url, serverCloses }) => {
        const bytes = (size: number) => {
          const out = new Uint8Array(size);
          for (let i = 0; i < size; i++) out[i] = (i * 13 + (i >> 8)) & 0xff;
          return out;
        };
        const messages: Array<string | Uint8Array<ArrayBuffer>> = ['hello over h2', '', 'ünïcødé 🎉', bytes(0), bytes(70_000), 'x'.repeat(1024 * 1024)];
        const socket = new WebSocket(url, ['chat']);
        socket.binaryType = 'arraybuffer';
        const echoes: Array<string | Uint8Array> = [];
        const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
          socket.onclose = (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
        });
        await new Promise<void>((resolve, reject) => {
          socket.onopen = () => {
            for (const message of messages) socket.send(message);
          };
          socket.onmessage = (event) => {
            echoes.push(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer));
            if (echoes.length === messages.length) resolve();
          };
          socket.onerror = () => reject(new Error('WebSocket error'));
        });
        if (serverCloses) socket.send('please close');
        else socket.close(4000, 'page is done');
        const same = (a: string | Uint8Array, b: string | Uint8Array | undefined) =>
          typeof a === 'string' || typeof b === 'string' || b === undefined ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);
        return {
          protocol: socket.protocol,
          extensions: socket.extensions,
          echoesMatch: messages.map((message, i) => same(message, echoes[i])),
          close: await closed,
        };
      },
      { url, serverCloses },
    );
  } finally {
    await page.close();
  }
}

describe.skipIf(!peersHere)('Chromium → wsdriver server over HTTP/2 (RFC 8441)', () => {
  it('opens the WebSocket as an extended CONNECT stream and echoes with permessage-deflate; the page closes', async () => {
    const report = await runPage(origin.replace('https:', 'wss:') + '/echo', false);
    expect(http11Upgrades).toBe(0);
    const connection = accepted.at(-1)!;
    expect([connection.headers[':method'], connection.headers[':protocol'], connection.headers[':path']]).toEqual(['CONNECT', 'websocket', '/echo']);
    expect(connection.headers['sec-websocket-version']).toBe('13');
    expect(report.protocol).toBe('chat');
    expect(report.extensions).toMatch(/^permessage-deflate/);
    expect(connection.driver.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
    expect(report.echoesMatch).toEqual(report.echoesMatch.map(() => true));
    expect(await connection.closed).toEqual({ code: 4000, reason: 'page is done', wasClean: true });
    expect(report.close).toMatchObject({ code: 4000, wasClean: true });
  }, 60_000);

  it('reports the close code and reason when the server closes', async () => {
    const report = await runPage(origin.replace('https:', 'wss:') + '/closing', true);
    expect(http11Upgrades).toBe(0);
    expect(report.close).toEqual({ code: 1001, reason: 'server says bye', wasClean: true });
    expect(await accepted.at(-1)!.closed).toMatchObject({ code: 1001, wasClean: true });
  }, 60_000);
});
