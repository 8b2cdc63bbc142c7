/**
 * A text message delivered piece by piece as it arrives (`streamMessages`,
 * and inflated pieces of a compressed one): each piece checked as UTF-8
 * (RFC 6455 §8.1: the connection fails in the piece that holds a bad
 * sequence) and handed on decoded, or, with `decodeText` off, as the bytes
 * themselves (a character may then be split between two pieces).
 *
 * @module
 */
import { Utf8Validator } from './utf8-validator.js';

/** Checks, and decodes unless told to keep bytes, one streamed text message. */
export class TextPieces {
  // Fatal: a bad sequence throws in the piece that completes it.
  readonly #decoder: TextDecoder | null;
  readonly #validator: Utf8Validator | null;

  /** Whether the message the last piece ended was all ASCII, as far as the check saw (bytes mode only). */
  get ascii(): boolean {
    return this.#validator?.wasAscii === true;
  }

  constructor(decode: boolean) {
    this.#decoder = decode ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : null;
    this.#validator = decode ? null : new Utf8Validator();
  }

  /**
   * The next piece as delivered: its text (maybe empty: a character still
   * incomplete waits for the next piece) or its bytes; null if the message
   * cannot be UTF-8. `last` ends the message, which must end on a
   * character boundary.
   */
  next(piece: Uint8Array, last: boolean): string | Uint8Array | null {
    const validator = this.#validator;
    if (validator !== null) return validator.push(piece) && (!last || validator.end()) ? piece : null;
    try {
      return this.#decoder!.decode(piece, { stream: !last });
    } catch {
      return null;
    }
  }
}
