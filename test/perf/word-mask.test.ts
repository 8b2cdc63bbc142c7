/**
 * The Node entry's one-pass masked copy (lib/adapters/node/word-mask.ts)
 * against the byte loop: every alignment of source and target, every
 * phase, lengths around its threshold and its word and unroll edges; and
 * the core's `applyMaskTo` with it installed, where it must hand every
 * case it declines to the core's kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskCopyWords, useNodeMaskCopier } from '../../lib/adapters/node/word-mask.js';
import { applyMaskTo, useMaskCopier } from '../../lib/frame/mask.js';
import { decodeFrames, openClient } from '../helpers/index.js';

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const GUARD = 0xa5;
const THRESHOLD = 32 * 1024;

function sample(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** `length` bytes of `source` at byte `align` of a larger buffer. */
function placedAt(source: Uint8Array, align: number): Uint8Array {
  const backing = new Uint8Array(source.length + 16);
  backing.set(source, align);
  return backing.subarray(align, align + source.length);
}

/** First byte where `target` (from `offset`) differs from `source` XOR the key from `phase`, or where a guard byte changed; -1 if none. */
function firstWrongByte(target: Uint8Array, offset: number, source: Uint8Array, phase: number): number {
  for (let i = 0; i < offset; i++) if (target[i] !== GUARD) return i;
  for (let i = 0; i < source.length; i++) if (target[offset + i] !== (source[i]! ^ KEY[(phase + i) & 3]!)) return offset + i;
  for (let i = offset + source.length; i < target.length; i++) if (target[i] !== GUARD) return i;
  return -1;
}

// Around the threshold, a tail of 1-7 bytes, and 16-word (128-byte) unroll edges.
const LENGTHS = [THRESHOLD - 1, THRESHOLD, THRESHOLD + 1, THRESHOLD + 7, THRESHOLD + 8, THRESHOLD + 127, THRESHOLD + 128 + 9, 65536 + 14];

describe('the one-pass 64-bit masked copy', () => {
  it('equals the byte loop for every source and target alignment (0-7), every phase and lengths around its edges, or declines and writes nothing', () => {
    const failures: string[] = [];
    let done = 0;
    for (const length of LENGTHS) {
      const data = sample(length, length);
      for (let sourceAlign = 0; sourceAlign < 8; sourceAlign++) {
        const source = placedAt(data, sourceAlign);
        for (let targetAlign = 0; targetAlign < 8; targetAlign++) {
          for (let phase = 0; phase < 4; phase++) {
            // The target is a view at targetAlign; the copy goes 3 bytes into it.
            const backing = new Uint8Array(length + 24).fill(GUARD);
            const target = backing.subarray(targetAlign);
            const took = maskCopyWords(source, target, 3, KEY, phase);
            const expectTaken = length >= THRESHOLD && (sourceAlign - (targetAlign + 3)) % 8 === 0;
            if (took !== expectTaken) failures.push(`${length} B, source at ${sourceAlign}, target at ${targetAlign}+3: returned ${took}`);
            else if (took) {
              const wrong = firstWrongByte(target, 3, source, phase);
              if (wrong >= 0) failures.push(`${length} B, source at ${sourceAlign}, target at ${targetAlign}+3, phase ${phase}: byte ${wrong}`);
              done++;
            } else if (!backing.every((b) => b === GUARD)) failures.push(`${length} B declined but wrote`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // One source alignment in eight meets each target alignment: the kernel ran on 7 of the 8 lengths.
    expect(done).toBe(7 * 8 * 4);
  });

  it('leaves the source unchanged', () => {
    const data = sample(THRESHOLD + 100, 5);
    const before = data.slice();
    expect(maskCopyWords(data, new Uint8Array(data.length), 0, KEY, 1)).toBe(true);
    expect(Buffer.from(data).equals(Buffer.from(before))).toBe(true);
  });
});

describe('applyMaskTo with the one-pass copy installed (as the Node entry does)', () => {
  beforeAll(() => useNodeMaskCopier());
  afterAll(() => useMaskCopier(null));

  it('equals the byte loop whether the copy is taken or declined: every alignment, every phase, lengths around the threshold and the 16 KiB block', () => {
    const failures: string[] = [];
    for (const length of [300, 16 * 1024 + 5, THRESHOLD - 1, THRESHOLD + 3, 3 * 16 * 1024 + 1]) {
      const data = sample(length, length + 1);
      for (let sourceAlign = 0; sourceAlign < 8; sourceAlign++) {
        const source = placedAt(data, sourceAlign);
        for (let offset = 0; offset < 8; offset++) {
          for (let phase = 0; phase < 4; phase++) {
            const target = new Uint8Array(length + 16).fill(GUARD);
            applyMaskTo(source, target, offset, KEY, phase);
            const wrong = firstWrongByte(target, offset, source, phase);
            if (wrong >= 0) failures.push(`${length} B, source at ${sourceAlign}, offset ${offset}, phase ${phase}: byte ${wrong}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('unmasking a payload piece by piece at the offsets a gathered frame uses equals unmasking it whole', () => {
    const data = sample(200_003, 9);
    const whole = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) whole[i] = data[i]! ^ KEY[i & 3]!;
    // Reads of 64 KiB after a 14-byte header (pieces 6 bytes past a boundary,
    // then at 0: not aligned with the target), and pieces placed aligned with it.
    for (const aligned of [false, true]) {
      for (const first of [65536 - 14, 40_000, 33_001]) {
        const target = new Uint8Array(data.length);
        for (let at = 0, size = first; at < data.length; at += size, size = 65536) {
          const piece = data.subarray(at, Math.min(at + size, data.length));
          applyMaskTo(placedAt(piece, aligned ? at & 7 : at === 0 ? 14 & 7 : 0), target, at, KEY, at & 3);
        }
        expect(Buffer.from(target).equals(Buffer.from(whole)), `first piece ${first}, aligned ${aligned}`).toBe(true);
      }
    }
  });
});

describe('a client frame too large for the send slab', () => {
  for (const installed of [false, true]) {
    it(`starts its payload as far past an 8-byte boundary as the caller's bytes, and decodes to them (${installed ? 'with' : 'without'} the one-pass copy)`, () => {
      if (installed) useNodeMaskCopier();
      try {
        for (const [length, header] of [
          [20_000, 8],
          [70_000, 14],
        ] as const) {
          const data = sample(length, 3);
          for (let align = 0; align < 8; align++) {
            const { driver, rec } = openClient();
            driver.binary(placedAt(data, align));
            const handed = rec.socket.handed.at(-1)!;
            expect((handed.byteOffset + header) & 7, `${length} B at ${align}`).toBe(align);
            const [frame, ...rest] = decodeFrames(rec.take());
            expect(rest).toEqual([]);
            expect(frame!.masked).toBe(true);
            expect(Buffer.from(frame!.payload).equals(Buffer.from(data)), `${length} B at ${align}`).toBe(true);
          }
        }
      } finally {
        useMaskCopier(null);
      }
    });
  }
});
