/**
 * A small, independent frame reader for checking what a sender wrote: each
 * complete frame at the start of `bytes` must be a final frame with the
 * expected opcode, masked or not as required, carrying the expected payload.
 *
 * @module
 */

/** Null if the frames check out, else what is wrong. */
export function verifyFrames(bytes: Uint8Array, masked: boolean, opcode: number, expected: (index: number) => Uint8Array): string | null {
  let at = 0;
  let index = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let pos = at + 2;
    if (length === 126) {
      length = (bytes[pos]! << 8) | bytes[pos + 1]!;
      pos += 2;
    } else if (length === 127) {
      length = bytes[pos + 4]! * 2 ** 24 + ((bytes[pos + 5]! << 16) | (bytes[pos + 6]! << 8) | bytes[pos + 7]!);
      pos += 8;
    }
    const key = pos;
    if ((b1 & 0x80) !== 0) pos += 4;
    if (pos + length > bytes.length) break;
    if (b0 !== (0x80 | opcode)) return `frame ${index}: first byte 0x${b0.toString(16)}`;
    if ((b1 & 0x80) !== (masked ? 0x80 : 0)) return `frame ${index}: mask bit is ${b1 >> 7}, expected ${masked ? 1 : 0}`;
    const want = expected(index);
    if (length !== want.length) return `frame ${index}: ${length} payload bytes, expected ${want.length}`;
    for (let i = 0; i < length; i++) {
      const byte = masked ? bytes[pos + i]! ^ bytes[key + (i & 3)]! : bytes[pos + i]!;
      if (byte !== want[i]) return `frame ${index}: payload differs at byte ${i}`;
    }
    at = pos + length;
    index++;
  }
  return index === 0 ? 'no complete frame was written' : null;
}
