/**
 * On Node, a large masked copy (a gathered frame's pieces, a client's large
 * frame) is made in one pass of 64-bit words in JavaScript wherever source
 * and target share their alignment: V8 (11.3, Node 20, and later) compiles
 * XOR of `BigUint64Array` elements to machine words, so the source is read
 * and the target written once, where the core's WebAssembly kernel copies
 * each 16 KiB block into its page and back out (lib/frame/mask.ts). Into a
 * target not yet in cache, as a fresh message or frame is, that is about
 * 1.2× faster at 64 KiB and 1 MiB; with both already in cache the
 * WebAssembly kernel is faster, so short copies (the send slab's) stay
 * with it (bench/analysis.md, "Masking kernels, session 9"). Called by this
 * adapter's entry point as it loads.
 *
 * @module
 */
import { useMaskCopier } from '../../frame/mask.js';

// From this length on: the targets are fresh buffers (the send slab takes
// frames up to 16 KiB), where one pass wins; at 16 KiB it only broke even.
const ONE_PASS_FROM = 32 * 1024;

// The key repeated over 8 bytes, read back as one word in this machine's byte order.
const KEY_BYTES = new Uint8Array(8);
const KEY_WORD = new BigUint64Array(KEY_BYTES.buffer);

/**
 * Writes `source` XOR the 4-byte `key` (from key byte `phase`) into
 * `target` at `offset`, and returns true; returns false, having written
 * nothing, when the copy is shorter than {@link ONE_PASS_FROM} or source
 * and target do not start at the same offset from an 8-byte boundary.
 * Exported for tests.
 */
export function maskCopyWords(source: Uint8Array, target: Uint8Array, offset: number, key: Uint8Array, phase: number): boolean {
  const length = source.length;
  const at = target.byteOffset + offset;
  if (length < ONE_PASS_FROM || ((source.byteOffset - at) & 7) !== 0) return false;
  // Bytes up to both buffers' first 8-byte boundary.
  const head = (8 - (source.byteOffset & 7)) & 7;
  for (let i = 0; i < head; i++) target[offset + i] = source[i]! ^ key[(phase + i) & 3]!;
  const words = (length - head) >>> 3;
  for (let i = 0; i < 8; i++) KEY_BYTES[i] = key[(phase + head + i) & 3]!;
  xorWords(
    new BigUint64Array(source.buffer, source.byteOffset + head, words),
    new BigUint64Array(target.buffer, at + head, words),
    KEY_WORD[0]!,
  );
  for (let i = head + words * 8; i < length; i++) target[offset + i] = source[i]! ^ key[(phase + i) & 3]!;
  return true;
}

/** `to[i] = from[i] ^ word`, sixteen words per turn (eight ran 5-10% slower). */
function xorWords(from: BigUint64Array, to: BigUint64Array, word: bigint): void {
  const words = from.length;
  const unrolled = words & ~15;
  let w = 0;
  for (; w < unrolled; w += 16) {
    to[w] = from[w]! ^ word;
    to[w + 1] = from[w + 1]! ^ word;
    to[w + 2] = from[w + 2]! ^ word;
    to[w + 3] = from[w + 3]! ^ word;
    to[w + 4] = from[w + 4]! ^ word;
    to[w + 5] = from[w + 5]! ^ word;
    to[w + 6] = from[w + 6]! ^ word;
    to[w + 7] = from[w + 7]! ^ word;
    to[w + 8] = from[w + 8]! ^ word;
    to[w + 9] = from[w + 9]! ^ word;
    to[w + 10] = from[w + 10]! ^ word;
    to[w + 11] = from[w + 11]! ^ word;
    to[w + 12] = from[w + 12]! ^ word;
    to[w + 13] = from[w + 13]! ^ word;
    to[w + 14] = from[w + 14]! ^ word;
    to[w + 15] = from[w + 15]! ^ word;
  }
  for (; w < words; w++) to[w] = from[w]! ^ word;
}

/**
 * Has the core make large masked copies with {@link maskCopyWords}. Not in
 * Bun: JavaScriptCore makes a BigInt per element there (about 430 µs for
 * 64 KiB, against 2.8 µs in Deno's V8 and 3.4 µs in Node's).
 */
export function useNodeMaskCopier(): void {
  if (process.versions.bun === undefined) useMaskCopier(maskCopyWords);
}
