/**
 * Slab reuse (wsdriver/node): text() keeps a long text's encoding in a
 * claimed slab region (not a slice) and sends it from there in fragments; the
 * first fragment may retire that slab, and with slab reuse the same slab comes
 * straight back and the fragments are built over the text still to be read.
 * A client (masked) with fragmentSize 1 writes 7 bytes per payload byte.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { framingDriver } from '../../lib/index.js';
import { streamSocket } from '../../lib/adapters/node/index.js';
import { SLAB_SIZE, slabRoom } from '../../lib/frame/send-slab.js';
import { decodeFrames } from '../helpers/index.js';
import { Cleanup, listen } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

it('a client text sent in 1-byte fragments from the end of a slab reaches the peer as sent', async () => {
  const server = cleanup.server(net.createServer());
  const received: Buffer[][] = [];
  server.on('connection', (s) => {
    const mine: Buffer[] = [];
    received.push(mine);
    s.on('data', (c: Buffer) => mine.push(c));
  });
  const port = await listen(server);
  const open = async () => {
    const tcp = net.connect(port, '127.0.0.1');
    cleanup.add(() => tcp.destroy());
    await new Promise((r) => tcp.once('connect', r));
    return tcp;
  };
  const filler = framingDriver(streamSocket(await open()), 'client');
  filler.start();
  const driver = framingDriver(streamSocket(await open()), 'client', { fragmentSize: 1 });
  driver.start();
  slabRoom(SLAB_SIZE); // start a slab of our own (from the Node source), so the offsets below are known
  // 12 frames of 4,096 bytes and one of 1,376 (8-byte masked headers): the slab used up to 50,528.
  for (let i = 0; i < 12; i++) filler.binary(new Uint8Array(4088).fill(i));
  filler.binary(new Uint8Array(1368).fill(99));
  await new Promise((r) => setTimeout(r, 50)); // every write has called back: the slab's 13 slices are released
  const text = '€'.repeat(5000); // 15,000 bytes: header room 8, it fills the slab to its last byte
  driver.text(text);
  await new Promise((r) => setTimeout(r, 300));
  const frames = decodeFrames(Buffer.concat(received[1]!));
  const payload = Buffer.concat(frames.map((f) => Buffer.from(f.payload)));
  expect(frames.length).toBe(15000);
  const want = Buffer.from(text); let bad = 0; let first = -1; for (let i = 0; i < want.length; i++) if (payload[i] !== want[i]) { bad++; if (first < 0) first = i; }
  expect({ bad, first }).toEqual({ bad: 0, first: -1 });
});
