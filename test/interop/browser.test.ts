/**
 * The `npm start` demo with a real browser: Debian's Chromium, headless,
 * driven by playwright-core, loads the demo's page and talks to the demo
 * through the browser's own WebSocket.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, firstLine, spawnPeer } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const cleanup = new Cleanup();
afterEach(() => cleanup.run(), 60_000);

describe.skipIf(!existsSync(CHROMIUM))('the echo demo in Chromium', () => {
  it('serves a page whose WebSocket opens, gets its messages echoed, and sees the 1001 on shutdown', async () => {
    const demo = spawnPeer(cleanup, process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples/echo-server.ts')], { PORT: '0' });
    const url = /ws:\/\/(127\.0\.0\.1:\d+)\//.exec(await firstLine(demo))![1]!;

    const userDataDir = await mkdtemp(path.join(tmpdir(), 'wsdriver-demo-chromium-'));
    cleanup.add(() => rm(userDataDir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
    cleanup.add(() => context.close());

    const page = await context.newPage();
    await page.goto(`http://${url}/`);
    const log = page.locator('#log');
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('open');
    await page.fill('#text', 'hello from Chromium ✓');
    await page.click('button');
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('< hello from Chromium ✓');

    demo.kill('SIGTERM');
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain('closed 1001 server shutting down');
  }, 90_000);
});
