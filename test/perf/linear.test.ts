/**
 * No quadratic paths: the bytes the receive path copies grow linearly with
 * the input, however it is chunked and fragmented. Copies are counted by
 * wrapping `Uint8Array.prototype.set` and `slice` (every copy the core makes
 * goes through one of them); no timings.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ByteAccumulator } from '../../lib/frame/byte-accumulator.js';
import { Driver } from '../../lib/index.js';
import { clientFrame, concat, requestHead, split, type Chunking } from '../helpers/index.js';

let copied = 0;
const originalSet = Uint8Array.prototype.set;
const originalSlice = Uint8Array.prototype.slice;

beforeEach(() => {
  copied = 0;
  Uint8Array.prototype.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
    copied += source.length;
    return originalSet.call(this, source, offset);
  } as typeof originalSet;
  Uint8Array.prototype.slice = function (this: Uint8Array, start?: number, end?: number) {
    const result = originalSlice.call(this, start, end);
    copied += result.length;
    return result;
  } as typeof originalSlice;
});

afterEach(() => {
  Uint8Array.prototype.set = originalSet;
  Uint8Array.prototype.slice = originalSlice;
});

const CONTINUATION = 0;
const TEXT = 1;
const BINARY = 2;

/** One message of `size` bytes in frames of `fragment` bytes, masked as a client sends it. */
function message(opcode: number, size: number, fragment: number): Uint8Array {
  const payload = new Uint8Array(size).fill(0x61);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < size; at += fragment) {
    const end = Math.min(at + fragment, size);
    frames.push(clientFrame(at === 0 ? opcode : CONTINUATION, payload.subarray(at, end), { fin: end === size }));
  }
  return concat(...frames);
}

/** An open server driver with no recorder (which would copy what it records). */
function openServer(): ReturnType<typeof Driver.server> {
  const driver = Driver.server({ write: () => {} }, { maxLength: 1 << 26 });
  driver.parse(requestHead());
  if (!driver.start() || driver.readyState !== 1) throw new Error('server did not open');
  return driver;
}

/** Bytes copied while a server receives `stream` cut by `chunking`; checks the message arrived. */
function copiesWhileReceiving(stream: Uint8Array, chunking: Chunking, size: number): number {
  const driver = openServer();
  let received = -1;
  driver.on('message', (event) => (received = event.data.length));
  const chunks = split(stream, chunking).map((chunk) => originalSlice.call(chunk));
  copied = 0;
  for (const chunk of chunks) driver.parse(chunk);
  const count = copied;
  expect(received).toBe(size);
  return count;
}

describe('receiving copies each byte a bounded number of times', () => {
  const SMALL = 4096;
  const cases: Array<[string, number, number, (size: number) => Chunking]> = [
    ['one frame, whole', BINARY, 0, () => 'whole'],
    ['one frame, byte by byte', BINARY, 0, () => 'bytewise'],
    ['one frame, in 7-byte chunks', TEXT, 0, () => ({ sizes: [7] })],
    ['1-byte fragments, whole', BINARY, 1, () => 'whole'],
    ['1-byte fragments, byte by byte', TEXT, 1, () => 'bytewise'],
    ['100-byte fragments in random chunks', TEXT, 100, () => ({ seed: 5, maxChunk: 300 })],
    ['one frame in chunks of a sixteenth', BINARY, 0, (size) => ({ sizes: [size >> 4] })],
  ];
  for (const [name, opcode, fragment, chunking] of cases) {
    it(`${name}: at most 4 bytes copied per byte, and 16× the input costs at most 16× the copies (× 1.5, plus the fixed pinning allowance)`, () => {
      const small = copiesWhileReceiving(message(opcode, SMALL, fragment || SMALL), chunking(SMALL), SMALL);
      const large = copiesWhileReceiving(message(opcode, 16 * SMALL, fragment || 16 * SMALL), chunking(16 * SMALL), 16 * SMALL);
      expect(small).toBeLessThanOrEqual(4 * SMALL);
      expect(large).toBeLessThanOrEqual(4 * 16 * SMALL);
      expect(large).toBeLessThanOrEqual(16 * Math.max(small, SMALL) * 1.5 + 2 * 65536);
    });
  }

  it('a binary message that arrives whole in one chunk is delivered as a view of that chunk', () => {
    const driver = openServer();
    const chunk = message(BINARY, 100_000, 100_000);
    let data: Uint8Array | string | null = null;
    driver.on('message', (event) => (data = event.data));
    driver.parse(chunk);
    expect(data).toBeInstanceOf(Uint8Array);
    expect((data as unknown as Uint8Array).buffer).toBe(chunk.buffer);
    expect((data as unknown as Uint8Array).length).toBe(100_000);
  });

  it('many 16-byte messages in 1 KiB chunks copy only the ones that straddle chunks', () => {
    const one = message(BINARY, 16, 16);
    const stream = concat(...Array.from({ length: 4096 }, () => one));
    const driver = openServer();
    let count = 0;
    driver.on('message', () => count++);
    const chunks = split(stream, { sizes: [1024] }).map((chunk) => originalSlice.call(chunk));
    copied = 0;
    for (const chunk of chunks) driver.parse(chunk);
    expect(count).toBe(4096);
    // 22-byte frames: at most one message per chunk boundary is copied.
    expect(copied).toBeLessThanOrEqual(chunks.length * 16 + 16);
  });
});

describe('ByteAccumulator: large messages grow in place', () => {
  it('joins a message past 1 MiB without a final copy, byte for byte', () => {
    const accumulator = new ByteAccumulator(1 << 26);
    const pieces = Array.from({ length: 80 }, (_, i) => originalSlice.call(new Uint8Array(16384).fill(i)));
    for (const piece of pieces) accumulator.append(piece);
    copied = 0;
    const result = accumulator.take();
    expect(copied).toBe(0);
    expect(result.length).toBe(80 * 16384);
    for (let i = 0; i < 80; i++) expect(result[i * 16384]! + result[i * 16384 + 16383]!).toBe(2 * i);
  });

  it('holds at most 1.2× the bytes collected, plus one 1 MiB growth step, once the message is large', () => {
    const accumulator = new ByteAccumulator(1 << 26);
    const piece = new Uint8Array(16384);
    for (let i = 0; i < 512; i++) {
      accumulator.append(originalSlice.call(piece));
      if (accumulator.length > (2 << 20)) expect(accumulator.retainedBytes).toBeLessThanOrEqual(1.2 * accumulator.length + (1 << 20));
    }
    expect(accumulator.take().length).toBe(512 * 16384);
  });

  it('falls back to joining pieces where WebAssembly is missing', () => {
    const saved = globalThis.WebAssembly;
    // @ts-expect-error: simulating a platform without WebAssembly
    delete globalThis.WebAssembly;
    try {
      const accumulator = new ByteAccumulator(1 << 26);
      for (let i = 0; i < 80; i++) accumulator.append(originalSlice.call(new Uint8Array(16384).fill(i)));
      const result = accumulator.take();
      expect(result.length).toBe(80 * 16384);
      expect(result[79 * 16384]).toBe(79);
      expect(result.buffer.byteLength).toBe(80 * 16384);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });

  it('is empty and reusable after take()', () => {
    const accumulator = new ByteAccumulator(1 << 26);
    for (let i = 0; i < 70; i++) accumulator.append(new Uint8Array(16384).fill(1));
    accumulator.take();
    expect(accumulator.length).toBe(0);
    accumulator.append(Uint8Array.of(1, 2, 3));
    expect(Array.from(accumulator.take())).toEqual([1, 2, 3]);
  });
});
