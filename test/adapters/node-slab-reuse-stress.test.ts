/**
 * Slab reuse (wsdriver/node): slices of shared slabs go to many TCP sockets, some of which
 * fail (peer reset), are destroyed or ended by the server with writes queued; one slow
 * peer must still receive every frame as sent.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { framingDriver } from '../../lib/index.js';
import { streamSocket } from '../../lib/adapters/node/index.js';
import { decodeFrames } from '../helpers/index.js';
import { Cleanup, listen } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function message(tag: number, index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + index * 7 + tag * 101) & 0xff;
  return bytes;
}

it('a slow peer gets every frame intact while other sockets sharing the slabs fail, are destroyed or ended', async () => {
  const server = cleanup.server(net.createServer());
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  const port = await listen(server);
  const clients: net.Socket[] = [];
  for (let i = 0; i < 6; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    cleanup.add(() => c.destroy());
    clients.push(c);
  }
  while (accepted.length < 6) await new Promise((r) => setTimeout(r, 5));
  const chunks: Buffer[] = [];
  clients[0]!.on('data', (c: Buffer) => chunks.push(c)).pause();
  for (const c of clients.slice(1)) c.pause();
  for (const s of accepted) s.on('error', () => {});
  const slabs = new Set<ArrayBufferLike>();
  let slabWrites = 0;
  for (const s of accepted) {
    const sock = s as unknown as { _write: Function; _writev: Function };
    const w = sock._write.bind(s), wv = sock._writev.bind(s);
    sock._write = (chunk: Uint8Array, ...rest: unknown[]) => { if (chunk.buffer.byteLength === 65536) { slabs.add(chunk.buffer); slabWrites++; } return w(chunk, ...rest); };
    sock._writev = (chunks: { chunk: Uint8Array }[], cb: unknown) => { for (const { chunk } of chunks) if (chunk.buffer.byteLength === 65536) { slabs.add(chunk.buffer); slabWrites++; } return wv(chunks, cb); };
  }
  const drivers = accepted.map((s) => {
    const d = framingDriver(streamSocket(s), 'server');
    d.start();
    return d;
  });
  const sizes = [3000, 4090, 700, 9000, 120];
  let sent = 0;
  for (let round = 0; round < 400; round++) {
    for (let k = 0; k < drivers.length; k++) {
      const size = sizes[(round + k) % sizes.length]!;
      if (k === 0) drivers[0]!.binary(message(0, sent++, size));
      else drivers[k]!.binary(message(k, round, size));
    }
    if (round === 100) clients[1]!.destroy(); // peer reset: writes fail
    if (round === 150) accepted[2]!.destroy(); // server destroys with writes queued
    if (round === 200) accepted[3]!.end(); // server ends with writes queued
    if (round === 250) clients[4]!.resume(); // a peer that starts reading
    if (round % 20 === 0) await new Promise((r) => setImmediate(r));
    if (round % 50 === 25) {
      clients[0]!.resume();
      await new Promise((r) => setTimeout(r, 2));
      clients[0]!.pause();
    }
  }
  clients[0]!.resume();
  await new Promise((r) => setTimeout(r, 1500));
  const frames = decodeFrames(Buffer.concat(chunks));
  expect(frames).toHaveLength(sent);
  let bad = 0;
  frames.forEach((f, i) => {
    if (!Buffer.from(f.payload).equals(Buffer.from(message(0, i, sizes[i % sizes.length]!)))) bad++;
  });
  console.log('distinct slabs', slabs.size, 'slab writes', slabWrites);
  expect(bad).toBe(0);
}, 30_000);
