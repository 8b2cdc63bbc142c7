/**
 * A data message sent in pieces (docs/flow-control.md, "Streamed
 * messages"): each piece becomes a frame, the first with the message's
 * opcode, the rest continuations, the last with FIN (RFC 6455 §5.4).
 * Control frames may go between the pieces; other messages wait until the
 * end.
 *
 * Text may be given as strings or as UTF-8 bytes, split anywhere: a
 * string ending inside a surrogate pair keeps the high half for the next
 * piece, and bytes may end inside a sequence (frames need not end on a
 * character boundary); bytes that are not UTF-8 are a caller mistake and
 * throw.
 *
 * @module
 */
import { utf8Length } from '../bytes.js';
import { Utf8Validator } from '../frame/utf8-validator.js';
import { Opcode } from '../frame/opcodes.js';

/** Called once a piece has been handed to the socket, or with an error. */
export type PieceCallback = (error?: Error) => void;

/** What an {@link OutgoingMessage} needs of its driver. */
export interface PieceSink {
  /** Writes one data frame; false if the connection can no longer send. */
  writePiece(opcode: number, fin: boolean, payload: Uint8Array, done: PieceCallback | undefined): boolean;
  /** False if a piece of `size` bytes would go past `maxBufferedBytes`. */
  admits(size: number): boolean;
  /** The message ended (or can no longer be sent): messages waiting may go. */
  released(message: OutgoingMessage): void;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** One message being sent in pieces; made by `driver.startMessage()`. */
export class OutgoingMessage {
  /** `'text'` or `'binary'`. */
  readonly type: 'text' | 'binary';
  readonly #sink: PieceSink;
  #started = false;
  #ended = false;
  // Text: a high surrogate that ended the last string piece.
  #heldSurrogate = '';
  #validator: Utf8Validator | null = null;

  /** @internal Made by `driver.startMessage()`. */
  constructor(sink: PieceSink, type: 'text' | 'binary') {
    this.#sink = sink;
    this.type = type;
  }

  /** True once `end()` was called or the connection stopped it. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Sends a piece as one frame. False, sending nothing, if the message has
   * ended, the connection can no longer send, or the piece would take
   * `bufferedAmount` past `maxBufferedBytes` (wait for `drain`). Throws a
   * TypeError for bytes that cannot be UTF-8 in a text message.
   */
  write(piece: string | Uint8Array, done?: PieceCallback): boolean {
    return this.#send(piece, false, done);
  }

  /**
   * Sends the last piece (empty by default) with FIN. False as for
   * `write()`; throws a TypeError if text bytes end inside a sequence.
   */
  end(piece: string | Uint8Array = EMPTY, done?: PieceCallback): boolean {
    return this.#send(piece, true, done);
  }

  /** The connection is over, or closed under the message: nothing more goes. */
  stop(): void {
    this.#ended = true;
  }

  #send(piece: string | Uint8Array, fin: boolean, done: PieceCallback | undefined): boolean {
    if (done !== undefined && typeof done !== 'function') throw new TypeError('the piece callback must be a function');
    if (typeof piece !== 'string' && !(piece instanceof Uint8Array)) throw new TypeError('a piece is a string or a Uint8Array');
    if (this.#ended) return false;
    // Checked before the piece changes any state, so a refused piece can be retried as is.
    if (!this.#sink.admits(typeof piece === 'string' ? utf8Length(piece) : piece.length)) return false;
    const payload = this.#payloadOf(piece, fin);
    if (payload === null) {
      // Nothing to frame yet (an empty piece, or half a surrogate pair).
      if (done !== undefined) queueMicrotask(() => done());
      return true;
    }
    const opcode = this.#started ? Opcode.CONTINUATION : this.type === 'text' ? Opcode.TEXT : Opcode.BINARY;
    if (!this.#sink.writePiece(opcode, fin, payload, done)) {
      this.#ended = true;
      this.#sink.released(this);
      return false;
    }
    this.#started = true;
    if (fin) {
      this.#ended = true;
      this.#sink.released(this);
    }
    return true;
  }

  /** The bytes of a piece, or null if there is nothing to frame yet (not at the end). */
  #payloadOf(piece: string | Uint8Array, fin: boolean): Uint8Array | null {
    let bytes: Uint8Array;
    if (typeof piece === 'string') {
      if (this.type !== 'text') throw new TypeError('a binary message takes bytes, not strings');
      let text = this.#heldSurrogate + piece;
      this.#heldSurrogate = '';
      const last = text.charCodeAt(text.length - 1);
      if (!fin && last >= 0xd800 && last <= 0xdbff) {
        // The pair's low half comes in the next piece.
        this.#heldSurrogate = text.slice(-1);
        text = text.slice(0, -1);
      }
      bytes = encoder.encode(text);
    } else if (piece instanceof Uint8Array) {
      bytes = piece;
      if (this.type === 'text') {
        if (this.#heldSurrogate !== '') {
          // A lone high surrogate before bytes: TextEncoder's U+FFFD.
          bytes = concatBytes(encoder.encode(this.#heldSurrogate), bytes);
          this.#heldSurrogate = '';
        }
        const validator = (this.#validator ??= new Utf8Validator());
        if (!validator.push(bytes)) throw new TypeError('the bytes of a text message are not UTF-8');
      }
    } else {
      throw new TypeError('a piece is a string or a Uint8Array');
    }
    if (fin && this.type === 'text' && this.#validator !== null && !this.#validator.end()) {
      throw new TypeError('the text message ends inside a UTF-8 sequence');
    }
    if (bytes.length === 0 && !fin) return null;
    return bytes;
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
