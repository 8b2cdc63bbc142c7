/**
 * XOR masking of frame payloads (RFC 6455 §5.3).
 *
 * Masking is its own inverse, so one routine masks and unmasks. Three
 * kernels, chosen by length (the thresholds come from bench/ on Node 20):
 * - under 32 bytes, a byte loop (four bytes per turn): making a
 *   typed-array view costs more than it saves;
 * - up to a few hundred bytes, or where WebAssembly SIMD is unavailable, a
 *   JavaScript loop over 32-bit words, four words per turn;
 * - above that, the WebAssembly SIMD kernel of `mask-simd.ts`, which masks
 *   in its working page, 16 KiB at a time: copy in, 16 bytes per
 *   instruction, copy out.
 *
 * @module
 */
import { loadSimdMask, type SimdMask } from './mask-simd.js';

// Bytes masked per trip through the working page: source, page and target
// blocks of 16 KiB stay in a 48 KiB L1 cache together. Whole 64 KiB trips
// ran 1.5× slower for 64 KiB and 1.8× for 1 MiB into a fresh buffer
// (bench/analysis.md, "Round seven"). At most the page (SIMD_BLOCK).
const BLOCK = 16 * 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Below this, the byte loop wins.
const WORD_THRESHOLD = 32;
// From this length on, the SIMD kernel wins despite its two copies.
const SIMD_THRESHOLD = 256;

// Loaded on first use, so a program that never masks a large buffer never compiles it.
let simd: SimdMask | null | undefined;

function simdKernel(): SimdMask | null {
  if (simd === undefined) simd = loadSimdMask();
  return simd;
}

/** Which kernel masks buffers of a few hundred bytes and more; see {@link maskingImplementation}. */
export type MaskingImplementation = 'wasm-simd' | 'javascript';

/**
 * Which masking kernel runs here: `'wasm-simd'` where WebAssembly SIMD
 * compiled, `'javascript'` where it could not (no WebAssembly or no SIMD,
 * a Content-Security-Policy without `'wasm-unsafe-eval'`, a platform that
 * forbids compiling, such as Cloudflare Workers). A diagnostic: masking is
 * correct either way. Loads the kernel if nothing has masked yet.
 */
export function maskingImplementation(): MaskingImplementation {
  return simdKernel() === null ? 'javascript' : 'wasm-simd';
}

/** The 4-byte key, rotated to start at key byte `phase`, as a word in memory order. */
function keyWord(key: Uint8Array, phase: number, littleEndian: boolean): number {
  const b0 = key[phase & 3]!;
  const b1 = key[(phase + 1) & 3]!;
  const b2 = key[(phase + 2) & 3]!;
  const b3 = key[(phase + 3) & 3]!;
  return littleEndian ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

/**
 * XORs `data` in place with the 4-byte `key`, starting at key byte
 * `phase` (0-3), and returns the phase for the byte after the last.
 * `phase` lets a payload be unmasked piece by piece as it arrives.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, phase: number): number {
  const length = data.length;
  if (length < WORD_THRESHOLD) {
    maskBytes(data, key, phase);
  } else if (length < SIMD_THRESHOLD || simdKernel() === null) {
    maskWords(data, key, phase);
  } else {
    maskSimd(data, key, phase);
  }
  return (phase + length) & 3;
}

/**
 * Writes `source` XOR the key into `target` at `offset` (a copy and a mask
 * in one pass where the SIMD kernel runs); `source` is not changed, unless
 * an embedder's masking (see {@link useMasking}) unmasks it in place first.
 */
export let applyMaskTo = (source: Uint8Array, target: Uint8Array, offset: number, key: Uint8Array, phase: number): void => {
  const kernel = source.length >= SIMD_THRESHOLD ? simdKernel() : null;
  if (kernel === null) {
    target.set(source, offset);
    applyMask(target.subarray(offset, offset + source.length), key, phase);
  } else trip(kernel, source, target, offset, key, phase);
};

/**
 * The byte kernel for short payloads (a 16 B message's): the key's bytes
 * in four locals, four bytes per turn, so no byte loads its key byte
 * through an index of its own. Exported for tests.
 */
export function maskBytes(data: Uint8Array, key: Uint8Array, phase: number): void {
  const length = data.length;
  const k0 = key[phase & 3]!;
  const k1 = key[(phase + 1) & 3]!;
  const k2 = key[(phase + 2) & 3]!;
  const k3 = key[(phase + 3) & 3]!;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    data[i] = data[i]! ^ k0;
    data[i + 1] = data[i + 1]! ^ k1;
    data[i + 2] = data[i + 2]! ^ k2;
    data[i + 3] = data[i + 3]! ^ k3;
  }
  if (i < length) data[i] = data[i]! ^ k0;
  if (i + 1 < length) data[i + 1] = data[i + 1]! ^ k1;
  if (i + 2 < length) data[i + 2] = data[i + 2]! ^ k2;
}

/** The JavaScript word kernel; exported for tests. */
export function maskWords(data: Uint8Array, key: Uint8Array, phase: number): void {
  const length = data.length;
  // Bytes up to the first 4-byte-aligned address.
  const head = Math.min((4 - (data.byteOffset & 3)) & 3, length);
  let i = 0;
  for (; i < head; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
  const words = (length - head) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
    const word = keyWord(key, phase + head, LITTLE_ENDIAN) >>> 0;
    const unrolled = words & ~3;
    let w = 0;
    for (; w < unrolled; w += 4) {
      view[w] = view[w]! ^ word;
      view[w + 1] = view[w + 1]! ^ word;
      view[w + 2] = view[w + 2]! ^ word;
      view[w + 3] = view[w + 3]! ^ word;
    }
    for (; w < words; w++) view[w] = view[w]! ^ word;
    i = head + words * 4;
  }
  for (; i < length; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
}

/**
 * The SIMD kernel applied in place through the working page; exported for
 * tests. Returns false (having done nothing) where SIMD is unavailable.
 */
export let maskSimd = (data: Uint8Array, key: Uint8Array, phase: number): boolean => {
  const kernel = simdKernel();
  if (kernel === null) return false;
  trip(kernel, data, data, 0, key, phase);
  return true;
};

/**
 * Masks `source` into `target` at `offset` through the kernel's working
 * page, a block at a time: copy in, XOR, copy out (`target` may be `source`).
 */
function trip(kernel: SimdMask, source: Uint8Array, target: Uint8Array, offset: number, key: Uint8Array, phase: number): void {
  const memory = kernel.memory;
  const length = source.length;
  // Blocks are multiples of 4 bytes, so every block starts at the same phase.
  const word = keyWord(key, phase, true);
  for (let at = 0; at < length; at += BLOCK) {
    const end = Math.min(at + BLOCK, length);
    // A payload that fits one block needs no view.
    memory.set(length <= BLOCK ? source : source.subarray(at, end), 0);
    simdBlock(kernel, end - at, word, key, phase);
    target.set(memory.subarray(0, end - at), offset + at);
  }
}

/**
 * Replaces the masking of buffers of a few hundred bytes and more (the
 * SIMD kernel's, in place and into a target) with an embedder's that
 * handles some memory of its own and hands the rest to the two given
 * here: the Node adapter's shared read buffer, which is WebAssembly
 * memory with a kernel over it, so a piece of a read is unmasked where
 * it lies (lib/adapters/node/wasm-read-buffer.ts).
 * @internal
 */
export function useMasking(replace: (inPlace: typeof maskSimd, into: typeof applyMaskTo) => [typeof maskSimd, typeof applyMaskTo]): void {
  [maskSimd, applyMaskTo] = replace(maskSimd, applyMaskTo);
}

/** Masks the first `length` bytes of the working page; the ragged end in JavaScript. */
function simdBlock(kernel: SimdMask, length: number, word: number, key: Uint8Array, phase: number): void {
  const whole = length & ~63;
  kernel.mask(0, whole, word);
  const memory = kernel.memory;
  for (let i = whole; i < length; i++) memory[i] = memory[i]! ^ key[(phase + i) & 3]!;
}
