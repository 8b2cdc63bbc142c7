/**
 * Buffers allocated without their zero fill (lib/frame/fresh-bytes.ts; the
 * Node adapter supplies `Buffer.allocUnsafeSlow`): every byte of one is
 * written before it is handed on. The allocator here hands out memory full
 * of a stale pattern, so a byte left unwritten shows in what is delivered
 * or sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshBytes, useUnfilledMemory } from '../../lib/frame/fresh-bytes.js';
import { concat, decodeFrames, Op, openClient, ROLES, split } from '../helpers/index.js';

const STALE = 0xee;
let handedOut = 0;

beforeAll(() => {
  useUnfilledMemory((size) => {
    handedOut++;
    return new Uint8Array(size).fill(STALE).buffer;
  });
});
afterAll(() => useUnfilledMemory(null));

function pattern(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('freshBytes', () => {
  it('takes buffers from the unfilled allocator, each an ArrayBuffer of exactly its size', () => {
    const before = handedOut;
    const bytes = freshBytes(65536);
    expect(handedOut).toBe(before + 1);
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.buffer.byteLength).toBe(65536);
  });

  it('without an allocator, makes zero-filled arrays', () => {
    useUnfilledMemory(null);
    try {
      const before = handedOut;
      expect(freshBytes(65536).every((b) => b === 0)).toBe(true);
      expect(handedOut).toBe(before);
    } finally {
      useUnfilledMemory((size) => {
        handedOut++;
        return new Uint8Array(size).fill(STALE).buffer;
      });
    }
  });
});

describe.each(ROLES)('$name receiving into unfilled memory', (role) => {
  it('a frame gathered across chunks is delivered byte for byte, exactly its size', () => {
    const { driver } = role.open();
    const received: Uint8Array[] = [];
    driver.on('message', (event) => received.push(event.data as Uint8Array));
    const payload = pattern(100_000, 1);
    const before = handedOut;
    for (const chunk of split(role.peerFrame(Op.BINARY, payload), { sizes: [4096, 7] })) driver.parse(chunk);
    expect(handedOut).toBeGreaterThan(before);
    expect(received).toHaveLength(1);
    expect(received[0]!.buffer.byteLength).toBe(payload.length);
    expect(received[0]).toEqual(payload);
  });

  it('a frame over 1 MiB, made exact once half arrived, is delivered byte for byte, exactly its size', () => {
    const { driver } = role.open();
    const received: Uint8Array[] = [];
    driver.on('message', (event) => received.push(event.data as Uint8Array));
    const payload = pattern(1_500_000, 4);
    for (const chunk of split(role.peerFrame(Op.BINARY, payload), { sizes: [65536] })) driver.parse(chunk);
    expect(received).toHaveLength(1);
    expect(received[0]!.buffer.byteLength).toBe(payload.length);
    expect(received[0]!.every((b, i) => b === payload[i])).toBe(true);
  });

  it('a fragmented message joined at its end is delivered byte for byte, exactly its size', () => {
    const { driver } = role.open();
    const received: Uint8Array[] = [];
    driver.on('message', (event) => received.push(event.data as Uint8Array));
    const payload = pattern(50_000, 2);
    const bytes = concat(
      role.peerFrame(Op.BINARY, payload.subarray(0, 20_000), { fin: false }),
      role.peerFrame(Op.CONTINUATION, payload.subarray(20_000, 30_001), { fin: false }),
      role.peerFrame(Op.CONTINUATION, payload.subarray(30_001)),
    );
    driver.parse(bytes);
    expect(received).toHaveLength(1);
    expect(received[0]!.buffer.byteLength).toBe(payload.length);
    expect(received[0]).toEqual(payload);
  });
});

describe('a client sending from unfilled memory', () => {
  it('masks a large binary message into a frame with no stale byte', () => {
    const { driver, rec } = openClient();
    rec.take();
    const payload = pattern(70_000, 3);
    const before = handedOut;
    driver.binary(payload);
    expect(handedOut).toBeGreaterThan(before);
    const [frame, ...rest] = decodeFrames(rec.take());
    expect(rest).toHaveLength(0);
    expect(frame!.payload).toEqual(payload);
  });

  it('encodes a long ASCII text into a frame with no stale byte', () => {
    const { driver, rec } = openClient();
    rec.take();
    const text = 'abc{}:"_'.repeat(10_000);
    driver.text(text);
    const [frame, ...rest] = decodeFrames(rec.take());
    expect(rest).toHaveLength(0);
    expect(new TextDecoder().decode(frame!.payload)).toBe(text);
  });
});
