import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Utf8Validator, isValidUtf8 } from '../../lib/frame/utf8-validator.js';
import { loadSimdMask } from '../../lib/frame/mask-simd.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function reference(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Mostly-ASCII byte strings, with the occasional multi-byte or broken sequence. */
const mostlyAscii = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.stringMatching(/^[ -~]{1,80}$/).map((s) => Array.from(s, (c) => c.charCodeAt(0))) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }).map((s) => Array.from(new TextEncoder().encode(s))) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }) },
    ),
    { maxLength: 40 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

describe('UTF-8 validation with the ASCII word fast path', () => {
  test.prop([mostlyAscii, fc.integer({ min: 0, max: 7 })])('agrees with a fatal TextDecoder at any alignment', (bytes, align) => {
    const placed = new Uint8Array(bytes.length + align);
    placed.set(bytes, align);
    expect(isValidUtf8(placed.subarray(align))).toBe(reference(bytes));
  });

  test.prop([mostlyAscii, fc.integer({ min: 1, max: 97 })])('agrees when fed in pieces, and byte by byte', (bytes, size) => {
    for (const step of [size, 1]) {
      const validator = new Utf8Validator();
      let ok = true;
      for (let at = 0; at < bytes.length && ok; at += step) ok = validator.push(bytes.subarray(at, at + step));
      expect(ok && validator.end()).toBe(reference(bytes));
    }
  });

  it('finds a bad byte after a long ASCII run, at every position of the last word', () => {
    for (let length = 60; length < 72; length++) {
      const bytes = new Uint8Array(length).fill(0x41);
      bytes[length - 1] = 0xff;
      expect(isValidUtf8(bytes)).toBe(false);
      bytes[length - 1] = 0x41;
      expect(isValidUtf8(bytes)).toBe(true);
    }
  });
});

describe('masking falls back to JavaScript without WebAssembly', () => {
  it('loadSimdMask returns null when WebAssembly is missing', () => {
    const saved = globalThis.WebAssembly;
    // @ts-expect-error: simulating a platform without WebAssembly
    delete globalThis.WebAssembly;
    try {
      expect(loadSimdMask()).toBeNull();
    } finally {
      globalThis.WebAssembly = saved;
    }
  });
});
