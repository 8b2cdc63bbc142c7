/**
 * UTF-8 to a string through UTF-16 code units, for text already checked
 * as UTF-8. V8's own decoder (behind `TextDecoder`, `Buffer#toString`)
 * takes about 390 µs for 64 KiB of text with 10-30% non-ASCII characters
 * on Node 20; this loop writes the code units in about 200 µs, and
 * `ucs2Slice` copies them into a string in about 15 (bench/analysis.md,
 * "Large text, session 6").
 *
 * No check is made: bytes that are not valid UTF-8 give a wrong string,
 * never an error.
 *
 * @module
 */

const { ucs2Slice } = Buffer.prototype as unknown as { ucs2Slice(this: Uint8Array, start: number, end: number): string };

/** True where a Uint16Array stores its units little-endian, as `ucs2Slice` reads them. */
export const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The string that the valid UTF-8 `bytes` encode (a leading BOM kept). */
export function utf16FromUtf8(bytes: Uint8Array): string {
  // At most one code unit per byte: a 4-byte character makes two.
  const units = new Uint16Array(Buffer.allocUnsafeSlow(2 * bytes.length).buffer);
  const count = writeUnits(bytes, units);
  return ucs2Slice.call(new Uint8Array(units.buffer, 0, 2 * count), 0, 2 * count);
}

/** Writes the UTF-16 code units of valid UTF-8 `src` into `dst`; returns how many. */
function writeUnits(src: Uint8Array, dst: Uint16Array): number {
  const n = src.length;
  let i = 0;
  let j = 0;
  while (i < n) {
    let b = src[i]!;
    // A run of ASCII in a tight loop: one branch per byte.
    while (b < 0x80) {
      dst[j++] = b;
      if (++i === n) return j;
      b = src[i]!;
    }
    if (b < 0xe0) {
      dst[j++] = ((b & 0x1f) << 6) | (src[i + 1]! & 0x3f);
      i += 2;
    } else if (b < 0xf0) {
      dst[j++] = ((b & 0x0f) << 12) | ((src[i + 1]! & 0x3f) << 6) | (src[i + 2]! & 0x3f);
      i += 3;
    } else {
      // Past U+FFFF: a surrogate pair.
      const c = (((b & 0x07) << 18) | ((src[i + 1]! & 0x3f) << 12) | ((src[i + 2]! & 0x3f) << 6) | (src[i + 3]! & 0x3f)) - 0x10000;
      dst[j++] = 0xd800 | (c >>> 10);
      dst[j++] = 0xdc00 | (c & 0x3ff);
      i += 4;
    }
  }
  return j;
}
