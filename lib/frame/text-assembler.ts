/**
 * Builds the string of a text message that arrives in pieces (several
 * chunks, several fragments), validating UTF-8 as each piece arrives
 * (RFC 6455 §8.1: a bad fragment fails the connection when it arrives).
 *
 * Two paths, by piece size:
 * - a large piece is decoded at once by a fatal whole-buffer `TextDecoder`
 *   call (native code, validation and decoding in one pass); a character
 *   split at its end waits, as 1-3 bytes, for the next piece. The strings
 *   are joined once at the end of the message.
 * - a small piece is validated by the JavaScript {@link Utf8Validator}
 *   and collected in a small buffer, decoded when it fills or the message
 *   ends. So a flood of tiny fragments makes few strings, and tiny pieces
 *   do not pay a decoder call each.
 *
 * A streaming `TextDecoder` (`stream: true`) would avoid the split-character
 * bookkeeping, but on Node 20 it runs several times slower than a
 * whole-buffer decode (bench/analysis.md).
 *
 * @module
 */
import { Utf8Validator, incompleteTail, sequenceLength } from './utf8-validator.js';
import { strictUtf8 } from '../bytes.js';

// Pieces of at least this many bytes are decoded natively as they arrive.
const LARGE_PIECE = 1024;
// The small-piece buffer is decoded when it holds this much.
const FLUSH_AT = 16 * 1024;
const FIRST_CAPACITY = 256;

/** Assembles one text message at a time; see the module comment. */
export class TextAssembler {
  #parts: string[] = [];
  // Undecoded bytes, already validated: small pieces, and a split character.
  #pending: Uint8Array | null = null;
  #pendingLength = 0;
  #decodedBytes = 0;
  readonly #validator = new Utf8Validator();

  /** Bytes received so far in the current message. */
  get length(): number {
    return this.#decodedBytes + this.#pendingLength;
  }

  /** Memory held, about: the small-piece buffer and the strings decoded so far. */
  get retainedBytes(): number {
    return (this.#pending?.length ?? 0) + this.#decodedBytes;
  }

  /** Adds the next piece; false, with everything dropped, if the text cannot be valid UTF-8. */
  push(piece: Uint8Array): boolean {
    const length = piece.length;
    if (length < LARGE_PIECE) {
      if (!this.#validator.push(piece)) return this.#fail();
      this.#append(piece, 0, length);
      if (this.#pendingLength >= FLUSH_AT) this.#flush();
      return true;
    }
    let start = 0;
    if (this.#pendingLength > 0) {
      // Complete the split character (1-3 bytes), validated in JavaScript.
      const pending = this.#pending!;
      const tail = incompleteTail(pending, this.#pendingLength);
      if (tail < this.#pendingLength) start = sequenceLength(pending[tail]!) - (this.#pendingLength - tail);
      const head = piece.subarray(0, start);
      if (!this.#validator.push(head)) return this.#fail();
      this.#append(piece, 0, start);
      this.#flush();
    }
    const end = incompleteTail(piece, length);
    if (end > start) {
      let text: string;
      try {
        text = strictUtf8.decode(piece.subarray(start, end));
      } catch {
        return this.#fail();
      }
      this.#parts.push(text);
      this.#decodedBytes += end - start;
    }
    // The split character at the end waits for the next piece; the
    // validator checks now that it can begin a character.
    this.#validator.reset();
    if (end < length) {
      if (!this.#validator.push(piece.subarray(end))) return this.#fail();
      this.#append(piece, end, length);
    }
    return true;
  }

  /**
   * Ends the message: its string, or null (everything dropped) if it ends
   * inside a character.
   */
  finish(): string | null {
    if (!this.#validator.end()) {
      this.reset();
      return null;
    }
    this.#flush();
    const parts = this.#parts;
    const text = parts.length === 1 ? parts[0]! : parts.join('');
    this.reset();
    return text;
  }

  /** Drops the message in progress. */
  reset(): void {
    this.#parts = [];
    this.#pending = null;
    this.#pendingLength = 0;
    this.#decodedBytes = 0;
    this.#validator.reset();
  }

  #fail(): false {
    this.reset();
    return false;
  }

  #append(piece: Uint8Array, from: number, to: number): void {
    const count = to - from;
    if (count === 0) return;
    const needed = this.#pendingLength + count;
    let pending = this.#pending;
    if (pending === null || pending.length < needed) {
      const grown = new Uint8Array(Math.max(FIRST_CAPACITY, needed, Math.min((pending?.length ?? 0) * 2, FLUSH_AT + LARGE_PIECE)));
      if (pending !== null) grown.set(pending.subarray(0, this.#pendingLength));
      this.#pending = pending = grown;
    }
    pending.set(from === 0 && to === piece.length ? piece : piece.subarray(from, to), this.#pendingLength);
    this.#pendingLength = needed;
  }

  /** Decodes the buffered bytes up to the last whole character. */
  #flush(): void {
    const pending = this.#pending;
    if (pending === null) return;
    const end = incompleteTail(pending, this.#pendingLength);
    if (end === 0) return;
    // Already validated: this cannot throw.
    this.#parts.push(strictUtf8.decode(pending.subarray(0, end)));
    this.#decodedBytes += end;
    pending.copyWithin(0, end, this.#pendingLength);
    this.#pendingLength -= end;
  }
}
