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

describe('ByteAccumulator: large messages', () => {
  const MiB = 1 << 20;

  it('an announced message is copied once into its exact buffer: no join at the end, byte for byte', () => {
    const accumulator = new ByteAccumulator();
    accumulator.expect(80 * 16384);
    const pieces = Array.from({ length: 80 }, (_, i) => originalSlice.call(new Uint8Array(16384).fill(i)));
    copied = 0;
    for (const piece of pieces) accumulator.append(piece);
    const result = accumulator.take();
    expect(copied).toBe(80 * 16384);
    expect(result.length).toBe(80 * 16384);
    for (let i = 0; i < 80; i++) expect(result[i * 16384]! + result[i * 16384 + 16383]!).toBe(2 * i);
  });

  it('an announced message holds only what arrived until half of it has, then the exact buffer', () => {
    const accumulator = new ByteAccumulator();
    const announced = 60 * MiB;
    accumulator.expect(announced);
    const piece = new Uint8Array(64 * 1024);
    while (accumulator.length + piece.length < announced / 2) {
      accumulator.append(originalSlice.call(piece));
      expect(accumulator.retainedBytes).toBeLessThanOrEqual(accumulator.length + 64 * 1024 + 128 * 1024);
    }
    accumulator.append(originalSlice.call(piece));
    expect(accumulator.retainedBytes).toBe(announced);
    expect(accumulator.retainedBytes).toBeLessThanOrEqual(2 * accumulator.length + 64 * 1024);
  });

  for (const announced of [false, true]) {
    it(`delivers a message of several pieces in an ArrayBuffer of its own, exactly its size (${announced ? 'announced' : 'fragments'})`, () => {
      const accumulator = new ByteAccumulator();
      if (announced) accumulator.expect(3 * MiB);
      for (let i = 0; i < 48; i++) accumulator.append(originalSlice.call(new Uint8Array(64 * 1024).fill(i)));
      const result = accumulator.take();
      expect(result.byteOffset).toBe(0);
      expect(result.buffer.byteLength).toBe(3 * MiB);
      expect(result.buffer).toBeInstanceOf(ArrayBuffer);
      expect(result[47 * 64 * 1024]).toBe(47);
      // Transferable: the bytes move to the clone, nothing else is detached.
      const moved = structuredClone(result.buffer, { transfer: [result.buffer] });
      expect(moved.byteLength).toBe(3 * MiB);
      expect(result.buffer.byteLength).toBe(0);
    });
  }

  it('takes more bytes than announced by joining them at the end', () => {
    const accumulator = new ByteAccumulator();
    accumulator.expect(2 * MiB);
    for (let i = 0; i < 40; i++) accumulator.append(originalSlice.call(new Uint8Array(64 * 1024).fill(i)));
    const result = accumulator.take();
    expect(result.length).toBe(40 * 64 * 1024);
    expect(result[39 * 64 * 1024]).toBe(39);
  });

  it('is empty and reusable after take(), the announcement forgotten', () => {
    const accumulator = new ByteAccumulator();
    accumulator.expect(2 * MiB);
    for (let i = 0; i < 32; i++) accumulator.append(new Uint8Array(64 * 1024).fill(1));
    accumulator.take();
    expect(accumulator.length).toBe(0);
    accumulator.append(Uint8Array.of(1, 2, 3));
    expect(Array.from(accumulator.take())).toEqual([1, 2, 3]);
    expect(accumulator.retainedBytes).toBe(0);
  });
});
