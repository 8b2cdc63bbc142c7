import { describe, expect, it } from 'vitest';
import { applyMask, applyMaskTo, maskBytes, maskSimd, maskWords } from '../../lib/frame/mask.js';
import { simdModuleBytes } from '../../lib/frame/mask-simd.js';

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function byteLoop(data: Uint8Array, key: Uint8Array, phase: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ key[(phase + i) & 3]!;
  return out;
}

function sample(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** A view of `length` bytes at byte offset `align` into a larger buffer, guarded on both sides. */
function placed(source: Uint8Array, align: number): { view: Uint8Array; backing: Uint8Array } {
  const backing = new Uint8Array(source.length + align + 8).fill(0xa5);
  backing.set(source, align);
  return { view: backing.subarray(align, align + source.length), backing };
}

function expectGuardsIntact(backing: Uint8Array, align: number, length: number): void {
  const before = backing.subarray(0, align).every((b) => b === 0xa5);
  const after = backing.subarray(align + length).every((b) => b === 0xa5);
  expect({ before, after }).toEqual({ before: true, after: true });
}

/** Byte equality with one assertion (toEqual on large arrays is slow). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  let firstDifference = actual.length === expected.length ? -1 : Math.min(actual.length, expected.length);
  for (let i = 0; i < actual.length && firstDifference < 0; i++) if (actual[i] !== expected[i]) firstDifference = i;
  expect(firstDifference, `first differing byte of ${actual.length}`).toBe(-1);
}

describe('masking kernels equal the byte loop', () => {
  it('the SIMD module is valid WebAssembly on this platform', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
  });

  for (const [name, kernel] of [
    ['applyMask', (d: Uint8Array, k: Uint8Array, p: number) => void applyMask(d, k, p)],
    ['the short-payload byte loop (four bytes per turn)', maskBytes],
    ['the JavaScript word loop', maskWords],
    ['the WebAssembly SIMD kernel', (d: Uint8Array, k: Uint8Array, p: number) => expect(maskSimd(d, k, p)).toBe(true)],
  ] as const) {
    it(`${name}: every length 0..300, every alignment 0..7 and every phase 0..3`, () => {
      for (let length = 0; length <= 300; length++) {
        const source = sample(length, length);
        for (let align = 0; align < 8; align++) {
          for (let phase = 0; phase < 4; phase++) {
            const { view, backing } = placed(source, align);
            kernel(view, KEY, phase);
            expectSameBytes(view, byteLoop(source, KEY, phase));
            expectGuardsIntact(backing, align, length);
          }
        }
      }
    });
  }

  it('the SIMD kernel handles buffers larger than its 64 KiB working page, at any phase', () => {
    for (const length of [65535, 65536, 65537, 200_003]) {
      const source = sample(length, 7);
      for (const phase of [0, 3]) {
        const { view, backing } = placed(source, 1);
        expect(maskSimd(view, KEY, phase)).toBe(true);
        expectSameBytes(view, byteLoop(source, KEY, phase));
        expectGuardsIntact(backing, 1, length);
      }
    }
  });

  it('applyMask returns the phase of the byte after the last', () => {
    for (let length = 0; length < 12; length++) for (let phase = 0; phase < 4; phase++) {
      expect(applyMask(new Uint8Array(length), KEY, phase)).toBe((phase + length) & 3);
    }
  });

  it('unmasking piece by piece with the returned phase equals unmasking whole', () => {
    const source = sample(1000, 3);
    const whole = byteLoop(source, KEY, 0);
    for (const cut of [1, 3, 31, 255, 256, 257, 999]) {
      const data = source.slice();
      const phase = applyMask(data.subarray(0, cut), KEY, 0);
      applyMask(data.subarray(cut), KEY, phase);
      expectSameBytes(data, whole);
    }
  });

  it('applyMaskTo equals the byte loop for every source alignment (0-7), target offset (0-7) and phase, at lengths around the SIMD threshold and the 16 KiB block', () => {
    let failures = 0;
    for (const length of [255, 256, 257, 16_383, 16_384, 16_385, 16_384 + 63, 16_384 + 64, 2 * 16_384 + 5, 65_536 + 14]) {
      const source = sample(length, length);
      for (let align = 0; align < 8; align++) {
        const { view } = placed(source, align);
        for (let offset = 0; offset < 8; offset++) {
          for (let phase = 0; phase < 4; phase++) {
            const target = new Uint8Array(length + 16).fill(0xa5);
            applyMaskTo(view, target, offset, KEY, phase);
            const expected = byteLoop(source, KEY, phase);
            let wrong = target.subarray(0, offset).some((b) => b !== 0xa5) || target.subarray(offset + length).some((b) => b !== 0xa5);
            for (let i = 0; i < length && !wrong; i++) wrong = target[offset + i] !== expected[i];
            if (wrong) failures++;
          }
        }
      }
    }
    expect(failures).toBe(0);
  });

  it('applyMaskTo writes the masked copy at the offset and leaves the source alone', () => {
    for (const length of [0, 5, 31, 32, 255, 256, 300, 70_000]) {
      const source = sample(length, 11);
      const before = source.slice();
      for (const phase of [0, 1, 2, 3]) {
        const target = new Uint8Array(length + 9).fill(0xa5);
        applyMaskTo(source, target, 3, KEY, phase);
        expectSameBytes(target.subarray(3, 3 + length), byteLoop(source, KEY, phase));
        expectGuardsIntact(target, 3, length);
        expect(source).toEqual(before);
      }
    }
  });
});
