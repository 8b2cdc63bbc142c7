/**
 * XOR masking of frame payloads (RFC 6455 §5.3).
 *
 * Masking is its own inverse, so one routine masks and unmasks. The middle
 * of the buffer is processed a 32-bit word at a time through a Uint32Array
 * view when the data is 4-byte aligned; the ragged ends byte by byte.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Below this, making a Uint32Array view costs more than it saves.
const WORD_THRESHOLD = 32;

/**
 * XORs `data` in place with the 4-byte `key`, starting at key byte
 * `phase` (0-3), and returns the phase for the byte after the last.
 * `phase` lets a payload be unmasked piece by piece as it arrives.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, phase: number): number {
  const length = data.length;
  let i = 0;
  if (length >= WORD_THRESHOLD) {
    // Bytes up to the first 4-byte-aligned address.
    const head = (4 - (data.byteOffset & 3)) & 3;
    for (; i < head; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
    const words = (length - head) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
    const k = (phase + head) & 3;
    const b0 = key[k]!;
    const b1 = key[(k + 1) & 3]!;
    const b2 = key[(k + 2) & 3]!;
    const b3 = key[(k + 3) & 3]!;
    const word = LITTLE_ENDIAN
      ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
      : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
    for (let w = 0; w < words; w++) view[w] = view[w]! ^ word;
    i = head + words * 4;
  }
  for (; i < length; i++) data[i] = data[i]! ^ key[(phase + i) & 3]!;
  return (phase + length) & 3;
}
