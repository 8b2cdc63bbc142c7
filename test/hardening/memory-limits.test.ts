/**
 * Each memory limit, measured on the process rather than by the library's
 * own count (`retainedBytes`): a hostile peer (or, for the queue, a
 * runaway application) pushes up to and past the limit, and the growth of
 * `heapUsed + external` (external counts ArrayBuffers and WebAssembly
 * memories) after a full GC must stay within a margin of the limit. A
 * counter that under-counts cannot pass: the attacks are built so that an
 * implementation keeping what it receives would hold many times more.
 *
 * The usual trick: every chunk the peer sends is a small view of a fresh
 * 64 KiB buffer. A driver that kept views would pin 64 KiB per chunk; one
 * that copies holds only the bytes.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Driver, type DriverOptions } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { Op, Pair, Recorder, clientFrame, openServer, requestHead, requestHeadText } from '../helpers/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KiB = 1024;
const MiB = 1024 * KiB;
const MAX = 1 * MiB;
/** What a test may grow beyond the bound it computes: code, caches, the test's own bookkeeping. */
const SLACK = 2 * MiB;

/** Bytes the process holds after a full collection: JS heap plus ArrayBuffers and WebAssembly memories. */
function held(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Bytes held now, without collecting (for peaks sampled while work is in progress). */
function heldNow(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** `bytes` as the peer sends it: `size`-byte views, each of a fresh `backing`-byte buffer. */
function* pinningChunks(bytes: Uint8Array, size: number, backing = 64 * KiB): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, Math.min(at + size, bytes.length));
    const buffer = new Uint8Array(Math.max(backing, piece.length));
    buffer.set(piece);
    yield buffer.subarray(0, piece.length);
  }
}

function feedPinning(driver: { parse(bytes: Uint8Array): void }, bytes: Uint8Array, size: number, backing?: number): void {
  for (const chunk of pinningChunks(bytes, size, backing)) driver.parse(chunk);
}

/** A partial message holds at most about 2 × maxLength + 64 KiB (README, DriverOptions.maxLength). */
const MESSAGE_BOUND = 2 * MAX + 64 * KiB + SLACK;

describe('memory held under hostile input, measured on the process', () => {
  it('maxLength: a message of 1 KiB fragments, each pinning a 64 KiB buffer, holds about its size; past the limit it fails and lets go', () => {
    const { driver, rec } = openServer({ maxLength: MAX });
    const fragment = new Uint8Array(KiB).fill(0x61);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < MAX / KiB - 1; i++) frames.push(clientFrame(i === 0 ? Op.BINARY : Op.CONTINUATION, fragment, { fin: false }));
    const before = held();
    for (const frame of frames.splice(0)) feedPinning(driver, frame, frame.length); // one chunk per fragment
    const growth = held() - before;
    // Kept as views, the 1023 fragments would pin 64 MiB.
    expect(growth).toBeLessThan(MESSAGE_BOUND);
    expect(rec.of('error')).toEqual([]);

    driver.parse(clientFrame(Op.CONTINUATION, new Uint8Array(2 * KiB), { fin: false }));
    expect(rec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
    expect(held() - before).toBeLessThan(SLACK);
  });

  it('maxLength: one frame of maxLength, in 1 KiB pieces each pinning 64 KiB, holds about its size; a longer one is refused at its header', () => {
    const { driver, rec } = openServer({ maxLength: MAX });
    const frame = clientFrame(Op.BINARY, new Uint8Array(MAX).fill(0x62));
    const before = held();
    feedPinning(driver, frame.subarray(0, frame.length - 1), KiB);
    expect(held() - before).toBeLessThan(MESSAGE_BOUND);
    expect(rec.of('error')).toEqual([]);

    const second = openServer({ maxLength: MAX });
    const base = held();
    // A frame declaring 64 MiB, then 1 MiB of it: refused when its length is read.
    // FIN + binary; masked, 64-bit length 0x04000000; a masking key.
    const header = Uint8Array.of(0x82, 0x80 | 127, 0, 0, 0, 0, 0x04, 0, 0, 0, 1, 2, 3, 4);
    second.driver.parse(header);
    feedPinning(second.driver, new Uint8Array(MAX), KiB);
    expect(second.rec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
    expect(held() - base).toBeLessThan(SLACK);
  });

  it('maxHeadSize and maxHeaders: 50 unfinished request heads, fed 64 bytes at a time each pinning 4 KiB, hold about their size; past the limits they fail', () => {
    const HEAD = 16 * KiB;
    const COUNT = 50;
    const options: DriverOptions = { maxHeadSize: HEAD, maxHeaders: 100 };
    // A head that never ends: the request line and headers, then one long header value just under the limit.
    const start = requestHeadText().replace(/\r\n$/, '');
    const long = new TextEncoder().encode(`${start}X-Padding: ${'p'.repeat(HEAD - start.length - 200)}`);
    const drivers = Array.from({ length: COUNT }, () => {
      const rec = new Recorder();
      return { driver: rec.attach(Driver.server(rec.socket, options)), rec };
    });
    const before = held();
    for (const { driver } of drivers) feedPinning(driver, long, 64, 4 * KiB);
    // 256 pieces a connection: as views they would pin 50 × 1 MiB.
    expect(held() - before).toBeLessThan(COUNT * 2 * HEAD + SLACK);
    expect(drivers.every(({ rec }) => rec.events.length === 0)).toBe(true);

    for (const { driver } of drivers) driver.parse(new TextEncoder().encode('p'.repeat(400)));
    for (const { rec } of drivers) expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_HEAD_TOO_LARGE', closeCode: 1009 });
    expect(held() - before).toBeLessThan(SLACK);

    // Header lines: 100 short ones per connection, then 10 more and the end of the head.
    const lines = new TextEncoder().encode(`${start}${'a: b\r\n'.repeat(95)}`);
    const counted = Array.from({ length: COUNT }, () => {
      const rec = new Recorder();
      return { driver: rec.attach(Driver.server(rec.socket, options)), rec };
    });
    const base = held();
    for (const { driver } of counted) feedPinning(driver, lines, 8, 4 * KiB);
    expect(held() - base).toBeLessThan(COUNT * 2 * HEAD + SLACK);
    // The count is checked when the head ends (its size bounds it until then).
    for (const { driver } of counted) driver.parse(new TextEncoder().encode('a: b\r\n'.repeat(10) + '\r\n'));
    for (const { rec } of counted) expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_TOO_MANY_HEADERS', closeCode: 1009 });
  });

  it('input before start(): 1 KiB pieces each pinning 64 KiB are held as their bytes; past maxLength the driver fails and lets go', () => {
    const rec = new Recorder({ env: { REQUEST_METHOD: 'GET', HTTP_HOST: 'example.com', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'Upgrade' } });
    const driver = rec.attach(Driver.rack(rec.socket, { maxLength: MAX }));
    const before = held();
    feedPinning(driver, new Uint8Array(MAX - KiB), KiB);
    expect(held() - before).toBeLessThan(MESSAGE_BOUND);
    expect(rec.events).toEqual([]);
    driver.parse(new Uint8Array(2 * KiB));
    expect(rec.of('error')[0]).toMatchObject({ code: 'INPUT_BEFORE_START_TOO_LARGE', closeCode: 1009 });
    expect(held() - before).toBeLessThan(SLACK);
  });

  it('maxQueuedBytes: an application queueing empty messages (or small ones) before open is stopped near the limit', () => {
    const LIMIT = 4 * MiB;
    const client = Driver.client({ url: 'ws://example.com/', write() {} }, { maxQueuedBytes: LIMIT });
    const before = held();
    let queued = 0;
    // Without a per-entry cost this loop ran until the cap, holding about 10 M entries.
    while (queued < 10_000_000 && client.text('')) queued++;
    const growth = held() - before;
    expect(queued).toBeLessThan(LIMIT / 32);
    expect(growth).toBeLessThan(2 * LIMIT + SLACK);

    const other = Driver.client({ url: 'ws://example.com/', write() {} }, { maxQueuedBytes: LIMIT });
    const base = held();
    while (other.binary(new Uint8Array(100))) {
      // until the limit
    }
    expect(held() - base).toBeLessThan(2 * LIMIT + SLACK);
    client.close();
    other.close();
  });

  it('the inflate cap: a 64 KiB bomb that inflates to 64 MiB never makes the process hold more than a few MiB', async () => {
    let peak = 0;
    const sample = () => (peak = Math.max(peak, heldNow()));
    // node:zlib as is, sampled on every chunk it inflates: the peak while the bomb goes off.
    const zlibStreams = {
      createInflateRaw(options: zlib.ZlibOptions) {
        const inflater = zlib.createInflateRaw(options);
        inflater.on('data', sample);
        return inflater;
      },
      createDeflateRaw: (options: zlib.ZlibOptions) => zlib.createDeflateRaw(options),
    };
    const pair = new Pair({ server: { maxLength: MAX } });
    pair.client.addExtension(perMessageDeflate());
    pair.server.addExtension(perMessageDeflate({ zlib: zlibStreams }));
    pair.connect();
    const compressed = zlib.deflateRawSync(new Uint8Array(64 * MiB), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const bomb = clientFrame(Op.BINARY, compressed.subarray(0, compressed.length - 4), { rsv: 0x40 });
    const before = held();
    peak = before;
    const failed = new Promise<void>((resolve) => pair.server.on('close', () => resolve()));
    pair.server.parse(bomb);
    await failed;
    expect(pair.serverRec.of('error')[0]).toMatchObject({ code: 'MESSAGE_TOO_LONG', closeCode: 1009 });
    // Inflated in full it would be 64 MiB; the cap stops it past 1 MiB.
    expect(peak - before).toBeLessThan(8 * MiB);
    expect(held() - before).toBeLessThan(SLACK);
  });
});
