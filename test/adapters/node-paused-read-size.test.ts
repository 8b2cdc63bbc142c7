/**
 * A driver paused mid-read holds the rest of that read (up to
 * `maxPausedBytes`, then 1009). The shared read buffer (read-buffer.ts)
 * takes up to 256 KiB per read, where Node's own reads take 64 KiB, so a
 * driver whose limit is under the shared buffer's size keeps Node's reads:
 * otherwise an honest peer fails with 1009 as soon as the kernel has more
 * than the limit queued (found in review, session 9).
 */
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerSideDriver } from '../../lib/index.js';
import { handleUpgrade } from '../../lib/adapters/node/index.js';
import { READ_BUFFER_SIZE, readsIntoSharedBuffer } from '../../lib/adapters/node/read-buffer.js';
import { Cleanup, listen, once } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** One connection through `handleUpgrade` with `maxPausedBytes`; the server pauses for 100 ms at the second message. */
async function pausingServer(maxPausedBytes: number) {
  const server = cleanup.server(http.createServer());
  const errors: string[] = [];
  let count = 0;
  let upgraded: { driver: ServerSideDriver; socket: net.Socket } | null = null;
  server.on('upgrade', (request, socket, head) => {
    const driver = handleUpgrade(request, socket, head, { maxPausedBytes });
    upgraded = { driver, socket: socket as net.Socket };
    driver.on('error', (e) => void errors.push(e.code));
    driver.on('message', () => {
      count++;
      if (count === 1) driver.text('warm');
      if (count === 2) {
        driver.pause();
        setTimeout(() => driver.resume(), 100);
      }
    });
  });
  const port = await listen(server);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  cleanup.add(() => ws.terminate());
  await once(ws as never, 'open');
  ws.send('first');
  await once(ws as never, 'message');
  return { ws, errors, count: () => count, socket: () => upgraded!.socket };
}

describe('maxPausedBytes and the shared read buffer', () => {
  it('a driver whose maxPausedBytes is under the shared buffer keeps Node reads; the default one shares', async () => {
    const small = await pausingServer(96 * 1024);
    expect(readsIntoSharedBuffer(small.socket())).toBe(false);
    const fitting = await pausingServer(READ_BUFFER_SIZE);
    expect(readsIntoSharedBuffer(fitting.socket())).toBe(true);
  });

  it('an honest peer is not failed: maxPausedBytes 96 KiB, 300 KiB sent in 1 KiB messages while the server pauses', async () => {
    const { ws, errors, count } = await pausingServer(96 * 1024);
    const payload = 'x'.repeat(1024);
    for (let i = 0; i < 300; i++) ws.send(payload);
    // Block this (one) process so the kernel queues everything before the server reads.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    const deadline = Date.now() + 10_000;
    while (count() < 301 && errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual([]);
    expect(count()).toBe(301);
  });
});
