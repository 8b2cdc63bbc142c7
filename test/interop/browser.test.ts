/**
 * The `npm start` demo with a real browser: Debian's Chromium, headless,
 * driven by playwright-core, loads the demo's page and talks to the demo
 * through the browser's own WebSocket.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, firstLine, spawnPeer } from './support.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const cleanup = new Cleanup();
afterEach(() => cleanup.run(), 60_000);

describe.skipIf(!hasChromium())('the echo demo in Chromium', () => {
  it('serves a page whose WebSocket opens, gets its messages echoed, and sees the 1001 on shutdown', async () => {
    const demo = spawnPeer(cleanup, process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples/echo-server.ts')], { PORT: '0' });
    const url = /ws:\/\/(127\.0\.0\.1:\d+)\//.exec(await firstLine(demo))![1]!;

    const browser = await launchChromium();
    cleanup.add(() => browser.close());
    const context = browser.context;

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
