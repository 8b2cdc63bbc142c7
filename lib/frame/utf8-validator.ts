/**
 * Streaming UTF-8 validation (RFC 3629 §4), for text that arrives in
 * pieces: it fails at the first byte that cannot begin or continue a valid
 * sequence, so a bad fragment is caught when it arrives, not at the end of
 * the message (RFC 6455 §8.1). Overlong forms, surrogates (U+D800-DFFF) and
 * code points past U+10FFFF are rejected by narrowing the range allowed for
 * the second byte, as in the WHATWG Encoding Standard's UTF-8 decoder.
 *
 * An embedder with a native whole-buffer check (the Node adapter:
 * `buffer.isUtf8`, about ten times faster on 4 KiB) supplies it with
 * {@link useNativeUtf8Check}; large pieces then go through it, and only a
 * character split across pieces is checked here byte by byte.
 *
 * @module
 */

// Below this many bytes, the word view costs more than it saves.
const ASCII_WORDS_FROM = 64;
// From this many bytes, a native check (where supplied) beats the loop below.
const NATIVE_FROM = 64;

let nativeCheck: ((bytes: Uint8Array) => boolean) | null = null;
let nativeAscii: ((bytes: Uint8Array) => boolean) | null = null;

/**
 * Sets a native check that `bytes`, on their own, are valid UTF-8 (the
 * same rules: RFC 3629, no surrogates, nothing past U+10FFFF), and
 * optionally one that they are ASCII, tried first on pieces so that a
 * message is known to be ASCII when it ends ({@link Utf8Validator.wasAscii});
 * null goes back to the JavaScript loop.
 * @internal
 */
export function useNativeUtf8Check(check: ((bytes: Uint8Array) => boolean) | null, ascii: ((bytes: Uint8Array) => boolean) | null = null): void {
  nativeCheck = check;
  nativeAscii = ascii;
}

/** Bytes of the UTF-8 sequence that `lead` starts (0 for a continuation byte). */
export function sequenceLength(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xc0 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/**
 * Where the incomplete character at the end of `bytes[0, end)` starts, or
 * `end` if the bytes end on a character boundary (or are invalid there:
 * a check of the bytes will say so).
 */
export function incompleteTail(bytes: Uint8Array, end: number): number {
  const stop = Math.max(0, end - 3);
  for (let i = end - 1; i >= stop; i--) {
    const length = sequenceLength(bytes[i]!);
    if (length === 0) continue;
    return i + length > end ? i : end;
  }
  return end;
}

/** Validates a byte stream chunk by chunk. */
export class Utf8Validator {
  // Continuation bytes still expected, and the range allowed for the next.
  #needed = 0;
  #lower = 0x80;
  #upper = 0xbf;
  // Every byte since the last end or reset was under 0x80.
  #ascii = true;
  /** Whether the stream the last {@link Utf8Validator.end} ended was all ASCII (the decoder then need not scan it). */
  wasAscii = false;

  /** Feeds more bytes; false as soon as the stream cannot be valid UTF-8. */
  push(bytes: Uint8Array): boolean {
    if (nativeCheck === null || bytes.length < NATIVE_FROM) return this.#push(bytes);
    // A character split from the last piece is finished by the loop, which
    // holds its state; whole characters go to the native check; a split
    // one at the end goes to the loop again, to be finished by the next piece.
    const start = this.#needed;
    if (start !== 0 && !this.#push(bytes.subarray(0, start))) return false;
    const end = incompleteTail(bytes, bytes.length);
    if (end > start) {
      const whole = bytes.subarray(start, end);
      // Once a piece held non-ASCII, the ASCII scan can only fail: skip it.
      if (!this.#ascii || nativeAscii?.(whole) !== true) {
        this.#ascii = false;
        if (!nativeCheck(whole)) return this.#fail();
      }
    }
    return end === bytes.length || this.#push(bytes.subarray(Math.max(start, end)));
  }

  #push(bytes: Uint8Array): boolean {
    let needed = this.#needed;
    let lower = this.#lower;
    let upper = this.#upper;
    const length = bytes.length;
    // ASCII runs are skipped four bytes at a time through an aligned word view.
    const head = (4 - (bytes.byteOffset & 3)) & 3;
    const words = length >= ASCII_WORDS_FROM ? (length - head) >>> 2 : 0;
    const view = words > 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset + head, words) : null;
    for (let i = 0; i < length; i++) {
      if (needed === 0 && view !== null && i >= head && ((i - head) & 3) === 0) {
        let w = (i - head) >>> 2;
        while (w < words && (view[w]! & 0x80808080) === 0) w++;
        const next = head + w * 4;
        if (next > i) {
          i = next - 1;
          continue;
        }
      }
      const byte = bytes[i]!;
      if (needed === 0) {
        if (byte < 0x80) continue;
        this.#ascii = false;
        if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          needed = 2;
          if (byte === 0xe0) lower = 0xa0; // overlong
          else if (byte === 0xed) upper = 0x9f; // surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          needed = 3;
          if (byte === 0xf0) lower = 0x90; // overlong
          else if (byte === 0xf4) upper = 0x8f; // past U+10FFFF
        } else {
          return this.#fail();
        }
      } else {
        if (byte < lower || byte > upper) return this.#fail();
        lower = 0x80;
        upper = 0xbf;
        needed--;
      }
    }
    this.#needed = needed;
    this.#lower = lower;
    this.#upper = upper;
    return true;
  }

  /** True if the stream ended on a character boundary. Resets for reuse. */
  end(): boolean {
    const complete = this.#needed === 0;
    this.wasAscii = this.#ascii;
    this.reset();
    return complete;
  }

  /** Forgets any partial character. */
  reset(): void {
    this.#needed = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
    this.#ascii = true;
  }

  #fail(): false {
    this.reset();
    return false;
  }
}

// The bytes of the text message being delivered now, checked on receipt:
// given back to `text()` during their own message event (an echo, a relay
// to other connections) they are not checked again. Held only during the
// event, so no message outlives it here.
let deliveredText: string | Uint8Array | null = null;

/**
 * Marks the checked text being delivered now (a string, which no bytes
 * equal, when it was decoded); null once the event is over.
 * @internal
 */
export function markDeliveredText(text: string | Uint8Array | null): void {
  deliveredText = text;
}

/** True if `bytes` is valid UTF-8 on its own (or is the text being delivered, checked on receipt). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (bytes === deliveredText) return true;
  if (nativeCheck !== null) return nativeCheck(bytes);
  const validator = new Utf8Validator();
  return validator.push(bytes) && validator.end();
}
