/**
 * Slab reuse (wsdriver/node): a socket that hands each frame to two
 * streamSockets (a tee/mirror), or keeps what it was given, with slab reuse on.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { framingDriver, type Socket } from '../../lib/index.js';
import { streamSocket } from '../../lib/adapters/node/index.js';
import { decodeFrames } from '../helpers/index.js';
import { Cleanup, listen } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function message(index: number): Uint8Array {
  const bytes = new Uint8Array(4096);
  new DataView(bytes.buffer).setUint32(0, index);
  for (let i = 4; i < bytes.length; i++) bytes[i] = (i * 7 + index * 13) & 0xff;
  return bytes;
}

/** Two TCP connections: the server ends (to write to) and the client ends (to read from). */
async function pairs(n: number): Promise<Array<{ server: net.Socket; client: net.Socket }>> {
  const server = cleanup.server(net.createServer());
  const accepted: net.Socket[] = [];
  const waiting: Array<(s: net.Socket) => void> = [];
  server.on('connection', (s) => (waiting.length > 0 ? waiting.shift()!(s) : accepted.push(s)));
  const port = await listen(server);
  const out = [];
  for (let i = 0; i < n; i++) {
    const client = net.connect(port, '127.0.0.1');
    const s = await new Promise<net.Socket>((resolve) => (accepted.length > 0 ? resolve(accepted.shift()!) : waiting.push(resolve)));
    out.push({ server: s, client });
  }
  for (const p of out) cleanup.add?.(() => { p.server.destroy(); p.client.destroy(); });
  return out;
}

function collect(client: net.Socket): Buffer[] {
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  return chunks;
}

it('a tee socket: every frame written to two TCP streamSockets reaches the slow one as sent', async () => {
  const [fast, slow] = await pairs(2);
  const a = streamSocket(fast!.server);
  const b = streamSocket(slow!.server);
  const tee: Socket = { write: (bytes) => (a.write(bytes), b.write(bytes)) };
  const driver = framingDriver(tee, 'server');
  driver.start();
  collect(fast!.client);
  slow!.client.pause(); // the slow peer reads nothing for now: its frames wait in userland
  const slowChunks = collect(slow!.client);
  const count = 5000;
  for (let i = 0; i < count; i += 100) {
    for (let j = i; j < i + 100; j++) driver.binary(message(j));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  slow!.client.resume();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const frames = decodeFrames(Buffer.concat(slowChunks));
  expect(frames).toHaveLength(count);
  let bad = 0;
  frames.forEach((f, i) => { if (!Buffer.from(f.payload).equals(Buffer.from(message(i)))) bad++; });
  expect(bad).toBe(0);
}, 30_000);

it('a socket that keeps what it is given (a frame log) and passes it on to a TCP streamSocket', async () => {
  const [p] = await pairs(1);
  const inner = streamSocket(p!.server);
  const log: Uint8Array[] = [];
  const driver = framingDriver({ write: (bytes) => (log.push(bytes), inner.write(bytes)) }, 'server');
  driver.start();
  collect(p!.client);
  for (let i = 0; i < 200; i++) {
    driver.binary(message(i));
    await new Promise((resolve) => setImmediate(resolve));
  }
  let bad = 0;
  decodeFrames(Buffer.concat(log)).forEach((f, i) => { if (!Buffer.from(f.payload).equals(Buffer.from(message(i)))) bad++; });
  expect(bad).toBe(0);
});
