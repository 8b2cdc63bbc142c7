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
 * `startMessage(driver, type)` is a function of its own, and the code that
 * frames, compresses or gathers the pieces lives here, with what the
 * pieces need of the driver (`PieceHost`, made through the RFC 6455
 * driver's `PieceAccess`) and the release of the whole messages that
 * waited for one, so an application that never streams a message out
 * leaves it all out of its bundle.
 *
 * @module
 */
import { concatBytes, utf8Length, utf8Encoder } from '../bytes.js';
import { Utf8Validator } from '../frame/utf8-validator.js';
import { Opcode } from '../frame/opcodes.js';
import type { ConnectionState } from '../connection/connection-state.js';
import { failSend } from '../connection/base-driver.js';
import type { PieceCodec } from '../extensions/piece-codec.js';
import { extensionFailure } from '../extensions/extension-stack.js';
import { pieceAccess, type HybiDriver } from './hybi-driver.js';

/** Called once a piece has been handed to the socket, or with an error. */
export type PieceCallback = (error?: Error) => void;

/** What an {@link OutgoingMessage} needs of its driver. */
interface PieceSink {
  /** Writes one data frame; false if the connection can no longer send. */
  writePiece(opcode: number, fin: boolean, payload: Uint8Array, done: PieceCallback | undefined): boolean;
  /** False if a piece of `size` bytes would go past `maxBufferedBytes`. */
  admits(size: number): boolean;
  /** The message ended (or can no longer be sent): messages waiting may go. */
  released(message: OutgoingMessage): void;
}

/** What the driver keeps of the message it is sending in pieces. */
export interface StreamedOut {
  /** The connection is over, or closed under the message: nothing more goes. */
  stop(): void;
}

/**
 * What a message sent in pieces needs of its driver (`hostOf()`): the
 * pieces go straight to the wire, through the extension's piece `codec`,
 * or, when extensions are negotiated and the codec cannot take them
 * (`gathers`), gathered and sent whole at the end.
 *
 * @internal
 */
export interface PieceHost {
  readonly codec: PieceCodec | null;
  readonly gathers: boolean;
  /** Runs work as the driver runs its own (events emitted after it returns). */
  run<T>(work: () => T): T;
  state(): ConnectionState['kind'];
  /** Writes a frame; `done` settles once it is handed to the socket. */
  frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array, done: PieceCallback | undefined): void;
  /** Sends a whole message through the extensions; `done` settles once it is written. */
  whole(opcode: number, data: Uint8Array, done: PieceCallback | undefined): void;
  admits(size: number): boolean;
  released(message: StreamedOut): void;
  /** A piece of `bytes` enters (1) or leaves (-1) the compressor: it counts in `bufferedAmount`. */
  compressing(change: 1 | -1, bytes: number): void;
  /** The codec failed: the connection fails. */
  failed(error: Error | null): void;
  /** False once nothing more may be written (our close frame went out, or failing). */
  mayWrite(): boolean;
  /** A compressed piece was written: a close frame held for it may go. */
  written(): void;
}

// RFC 7692 §6: the per-message compressed bit, on a message's first frame.
const RSV1 = 0x40;

/**
 * Starts a message sent in pieces on `driver`: `write(piece)` sends each
 * as a frame, `end(piece?)` the last. Pings, pongs and close may go
 * between pieces; `text()` and `binary()` wait until the end. With an
 * extension negotiated, the pieces go through its piece codec
 * (permessage-deflate), or are gathered and sent whole at `end()`. Null if
 * the connection is not open, or on a hixie draft; throws if a streamed
 * message is already being sent.
 */
export function startMessage(driver: object, type: 'text' | 'binary'): OutgoingMessage | null {
  if (driver === null || typeof driver !== 'object' || typeof (driver as { on?: unknown }).on !== 'function') {
    throw new TypeError('startMessage() takes a driver and a type: startMessage(driver, type)');
  }
  if (type !== 'text' && type !== 'binary') throw new TypeError("startMessage() takes 'text' or 'binary'");
  // Any driver may come here; only an RFC 6455 one (a HybiDriver) streams.
  const hybi = driver as HybiDriver;
  if (typeof hybi.mayStartMessage !== 'function') return null;
  if (pieceAccess.flowState(hybi)?.outgoing != null) throw new Error('a streamed message is already being sent: end() it first');
  if (!hybi.mayStartMessage()) return null;
  const message = new OutgoingMessage(sinkFor(hostOf(hybi), type), type);
  pieceAccess.flow(hybi).outgoing = message;
  return message;
}

/** What a message sent in pieces needs of `driver`. */
function hostOf(driver: HybiDriver): PieceHost {
  const access = pieceAccess;
  const extensions = access.extensions(driver);
  const codec = access.codec(driver);
  const hub = access.hub(driver);
  const sendFlow = access.sendFlow(driver);
  const writer = access.writer(driver);
  const run = <T>(work: () => T): T => hub.run(work);
  return {
    // With extensions, which work on whole messages, the pieces are
    // gathered and go through the pipeline at the end, unless the
    // extension's piece codec is idle and can take them as they come.
    codec: extensions !== null && codec !== null && extensions.outgoingIdle && (access.flowState(driver)?.codecPending ?? 0) === 0 ? codec : null,
    gathers: extensions !== null,
    run,
    state: () => access.state(driver),
    frame: (fin, rsv, opcode, payload, done) => {
      writer.frame(fin, rsv, opcode, payload);
      // Handed to the socket: settled on a microtask, as any message sent
      // while open (a piece is never behind a streamed message or in the pipeline).
      if (done !== undefined) queueMicrotask(() => done());
    },
    whole: (opcode, data, done) => {
      const flow = access.flowState(driver);
      if (flow !== null) flow.justQueued = null;
      access.whole(driver, opcode, data);
      if (done !== undefined) access.settle(driver, done);
    },
    admits: (size) => sendFlow.bufferedAmount === 0 || sendFlow.admits(size),
    released: (message) => run(() => releaseWaiting(driver, message)),
    compressing: (change, bytes) => {
      access.flow(driver).codecPending += change;
      sendFlow.heldBytes += change * bytes;
    },
    failed: (error) => access.fail(driver, extensionFailure(error)),
    mayWrite: () => access.mayWrite(driver),
    written: () => access.written(driver),
  };
}

/** The streamed message ended: the whole messages that waited for it go, in order. */
function releaseWaiting(driver: HybiDriver, message: StreamedOut): void {
  const flow = pieceAccess.flowState(driver);
  if (flow === null || flow.outgoing !== message) return;
  flow.outgoing = null;
  const waiting = flow.waiting;
  flow.waiting = null;
  if (waiting === null) return;
  for (const item of waiting) {
    const sent = pieceAccess.send(driver, item.opcode, item.data);
    if (item.done === undefined) continue;
    if (sent) pieceAccess.settle(driver, item.done);
    else failSend(item.done);
  }
}

function sinkFor(host: PieceHost, type: 'text' | 'binary'): PieceSink {
  const admits = (size: number): boolean => host.admits(size);
  const released = (message: OutgoingMessage): void => host.released(message);
  const codec = host.codec;
  if (codec !== null) {
    // Each piece compressed as it comes and framed once compressed, RSV1
    // on the first frame only (RFC 7692 §6).
    const compressed = (first: boolean, opcode: number, fin: boolean, piece: Uint8Array, done: PieceCallback | undefined) =>
      (error: Error | null, bytes: Uint8Array | null): void =>
        host.run(() => {
          host.compressing(-1, piece.length);
          if (host.state() === 'closed') {
            if (done !== undefined) failSend(done);
            return;
          }
          if (error !== null || bytes === null) {
            if (done !== undefined) failSend(done);
            host.failed(error);
            return;
          }
          if (!host.mayWrite()) {
            if (done !== undefined) failSend(done);
            return;
          }
          host.frame(fin, first ? RSV1 : 0, opcode, bytes, done);
          host.written();
        });
    return {
      writePiece: (opcode, fin, payload, done) =>
        host.run(() => {
          if (host.state() !== 'open') return false;
          // Copied: the compressor reads it later, and the caller may reuse its buffer.
          const piece = payload.slice();
          host.compressing(1, piece.length);
          codec.compressPiece(piece, fin, compressed(opcode !== Opcode.CONTINUATION, opcode, fin, piece, done));
          return true;
        }),
      admits,
      released,
    };
  }
  if (host.gathers) {
    // Extensions work on whole messages: the pieces are gathered and the
    // message goes through the pipeline at the end (docs/flow-control.md).
    const pieces: Uint8Array[] = [];
    const callbacks: PieceCallback[] = [];
    return {
      writePiece: (_opcode, fin, payload, done) =>
        host.run(() => {
          if (host.state() !== 'open') return false;
          // Copied: the caller may reuse its buffer once write() returns.
          pieces.push(payload.slice());
          if (done !== undefined) callbacks.push(done);
          if (!fin) return true;
          const all = callbacks.length > 0 ? (error?: Error) => callbacks.forEach((callback) => callback(error)) : undefined;
          host.whole(type === 'text' ? Opcode.TEXT : Opcode.BINARY, concatPieces(pieces), all);
          return true;
        }),
      admits,
      released,
    };
  }
  // Pieces straight to the wire, one frame each.
  return {
    writePiece: (opcode, fin, payload, done) =>
      host.run(() => {
        if (host.state() !== 'open') return false;
        host.frame(fin, 0, opcode, payload, done);
        return true;
      }),
    admits,
    released,
  };
}

function concatPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.length;
  }
  return whole;
}

// Pure: an app that never streams a message out drops it with the rest of
// this module (the browser build's shared chunks keep an unmarked `new`).
const EMPTY = /* @__PURE__ */ new Uint8Array(0);

/** One message being sent in pieces; made by `startMessage(driver, type)`. */
export class OutgoingMessage {
  /** `'text'` or `'binary'`. */
  readonly type: 'text' | 'binary';
  readonly #sink: PieceSink;
  #started = false;
  #ended = false;
  // Text: a high surrogate that ended the last string piece.
  #heldSurrogate = '';
  #validator: Utf8Validator | null = null;

  /** @internal Made by `startMessage(driver, type)`. */
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
      bytes = utf8Encoder.encode(text);
    } else if (piece instanceof Uint8Array) {
      bytes = piece;
      if (this.type === 'text') {
        if (this.#heldSurrogate !== '') {
          // A lone high surrogate before bytes: TextEncoder's U+FFFD.
          bytes = concatBytes(utf8Encoder.encode(this.#heldSurrogate), bytes);
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
