/**
 * Incremental RFC 6455 frame parser (§5.2).
 *
 * Bytes go in as they arrive, split anywhere. The parser reads each frame's
 * header (buffering at most 14 bytes when a header straddles chunks),
 * checks every header-level rule, unmasks the payload in place and hands it
 * on as views into the input: a frame that arrives whole in one chunk is
 * never copied here. A frame that spans chunks is handed on in pieces as
 * they arrive, or, when the handler asks for it and the frame is at most
 * 1 MiB, gathered into one buffer of its exact size, each piece unmasked
 * on its way in (one pass instead of an unmask and a later join). That
 * buffer is made once enough of the frame is in hand that it holds at most
 * four times the bytes that arrived plus 16 KiB; before that, the pieces
 * are unmasked into a staging buffer four times the size of what arrived,
 * so a peer that announces 1 MiB and sends a few bytes costs a few bytes,
 * not 1 MiB.
 * Each piece handed on says whether the input it is a view of is borrowed
 * (borrowed-input.ts): a handler then copies what it keeps. A binary frame
 * of 16 KiB or more that arrives whole in borrowed input is gathered the
 * same way, so its copy is the unmask itself and the input is not written.
 * Message-level rules (continuations, UTF-8, close payloads) belong to the
 * reader above it.
 *
 * @module
 */
import { Close, ProtocolError, protocolError } from '../errors.js';
import { inputBorrowed } from './borrowed-input.js';
import { freshBytes } from './fresh-bytes.js';
import { applyMask, applyMaskTo } from './mask.js';
import { isControlOpcode, isKnownOpcode } from './opcodes.js';

/**
 * The header of the frame being read. One object per parser, updated in
 * place for each frame: read it during the callback, do not keep it.
 */
export interface FrameHeader {
  fin: boolean;
  /** RSV1-3 as the bits 0x40, 0x20, 0x10 of the first byte. */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Payload length in bytes. */
  length: number;
}

/** What the parser reports to; return false from a callback to stop it. */
export interface FrameHandler {
  /** A frame's header has been read and passed every check. */
  onFrameHeader(header: FrameHeader): boolean;
  /**
   * A piece of the current frame's payload, unmasked. `last` is true on the
   * frame's final piece; a frame with no payload gets one empty piece.
   * `borrowed`: the piece is a view of input that is borrowed (see
   * borrowed-input.ts), so anything kept of it past this call is copied.
   */
  onFramePayload(piece: Uint8Array, last: boolean, borrowed: boolean): boolean;
  /**
   * Asked when the current frame turns out to span chunks (or is a binary
   * frame of 16 KiB or more whole in borrowed input): true to get its
   * payload as one piece of its own memory when it is complete, false to
   * get pieces as they arrive (to validate each at once, say).
   */
  wantsWholeFrame(header: FrameHeader): boolean;
  /**
   * A piece of a frame being gathered whole, just unmasked: a view of the
   * parser's buffer, valid during the call. `whole` is null until the
   * frame's last piece, then the frame as it will be handed on. Called
   * before the frame is handed on, so text can be checked as it arrives
   * (RFC 6455 §8.1); false to stop.
   */
  onGatheredPiece(piece: Uint8Array, whole: Uint8Array | null): boolean;
  /** The header broke a rule; the parser has stopped. */
  onFrameError(error: ProtocolError): void;
}

/** Per-connection rules the parser enforces on headers. */
export interface FrameRules {
  /** 'server' expects masked frames; 'client' rejects them. */
  readonly role: 'server' | 'client';
  /** Server: unmasked frames are an error (RFC 6455 §5.1). */
  readonly requireMasking: boolean;
  /** The close code for an unmasked client frame: 1002 (§7.4.1), 1003 only for websocket-driver compat. */
  readonly unmaskedCloseCode?: number;
  /** Largest payload accepted, in bytes. */
  readonly maxLength: number;
}

const EMPTY = new Uint8Array(0);
// Frames up to this size may be gathered whole.
const WHOLE_FRAME_LIMIT = 1 << 20;
// A frame gathered whole holds at most four times the bytes that arrived
// plus this: its exact buffer is made once that covers it, and until then
// a staging buffer of four times what arrived (a peer may announce a size
// and never send it). Four rather than two: a 1 MiB frame in 64 KiB reads
// then needs one staging buffer and one copy of a quarter of it, where two
// took three buffers and copies of 7/8 of it (bench/analysis.md,
// "Announced frames, session 7"). 16 KiB, Node's own read-buffer
// high-water mark, is what a header alone can make a connection hold; an
// honest 64 KiB frame still gets its exact buffer at once when its first
// read holds 12 KiB of it.
const GATHER_ALLOWANCE = 1 << 14;
// A binary frame from this size that arrives whole in borrowed input is
// gathered too: the copy the handler would make of it is then the unmask
// itself, one pass into fresh memory instead of an unmask in place and a
// copy (bench/analysis.md, "Large binary, session 9"). Smaller frames and
// text stay views: a small copy costs no more, and text decoded at once
// is not copied at all.
const BORROWED_GATHER_FROM = 1 << 14;
// The current frame's key is kept as a number per parser (an idle connection
// then holds no typed array for it) and copied here for each unmask call;
// parsing is synchronous, so parsers can share it.
const KEY = new Uint8Array(4);

const enum Phase {
  Header,
  Payload,
  Stopped,
}

/** Reads frames out of a byte stream; see the module comment. */
export class FrameParser {
  readonly header: FrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, length: 0 };
  /**
   * Which RSV bits an active extension claims, as a mask of the first
   * byte's 0x70 bits; frames with other RSV bits set are rejected.
   * Control frames may never set them.
   */
  allowedRsv = 0;

  readonly #handler: FrameHandler;
  readonly #rules: FrameRules;
  #phase = Phase.Header;
  // Header bytes held while a header straddles chunks (at most 14), made on first need.
  #scratch: Uint8Array | null = null;
  #scratchLength = 0;
  // The masking key's bytes, big-endian in one number.
  #maskKey = 0;
  #maskPhase = 0;
  #remaining = 0;
  // The frame being gathered whole (see #gather); how much of it has
  // arrived is its length less #remaining.
  #whole: Uint8Array | null = null;

  constructor(handler: FrameHandler, rules: FrameRules) {
    this.#handler = handler;
    this.#rules = rules;
  }

  /** True once a rule was broken or a callback asked to stop. */
  get stopped(): boolean {
    return this.#phase === Phase.Stopped;
  }

  /** Bytes held for a frame being gathered whole. */
  get retainedBytes(): number {
    return this.#whole?.length ?? 0;
  }

  /** Stops reading: later input is ignored. */
  stop(): void {
    this.#phase = Phase.Stopped;
    this.#whole = null;
  }

  /**
   * Set to stop at the next frame boundary: `push()` then returns the rest
   * of its chunk unread (delivery was paused by a listener).
   */
  holdRest = false;

  /**
   * Parses as much of `chunk` as forms frames; keeps the rest for later
   * (a partial header is copied; payload pieces go to the handler).
   * Returns the bytes left unread if `holdRest` was set while reading: a
   * view of `chunk`, for the caller to keep (or copy, if borrowed).
   */
  push(chunk: Uint8Array): Uint8Array | undefined {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.holdRest && this.#phase === Phase.Header && this.#scratchLength === 0) return chunk.subarray(pos);
      if (this.#phase === Phase.Payload) {
        const take = Math.min(this.#remaining, end - pos);
        const piece = chunk.subarray(pos, pos + take);
        pos += take;
        if (this.#whole !== null || ((take < this.#remaining || (inputBorrowed && take >= BORROWED_GATHER_FROM && this.header.opcode > 1) /* binary: control frames are never this large */) && this.#remaining === this.header.length && this.#startWhole())) {
          this.#remaining -= take;
          if (!this.#gather(piece)) {
            this.stop();
            return undefined;
          }
          continue;
        }
        this.#remaining -= take;
        if (this.header.masked) this.#maskPhase = applyMask(piece, keyBytes(this.#maskKey), this.#maskPhase);
        const last = this.#remaining === 0;
        if (last) this.#phase = Phase.Header;
        if (!this.#handler.onFramePayload(piece, last, inputBorrowed)) {
          this.stop();
          return undefined;
        }
      } else if (this.#phase === Phase.Header) {
        pos = this.#readHeader(chunk, pos);
        if (pos < 0) return undefined;
      } else {
        return undefined;
      }
    }
    return undefined;
  }

  /** The current frame spans chunks: gather it whole if the handler wants that and it is small enough. */
  #startWhole(): boolean {
    const header = this.header;
    if (header.length > WHOLE_FRAME_LIMIT || !this.#handler.wantsWholeFrame(header)) return false;
    // Nothing held yet: #gather makes the buffer for what arrives.
    this.#whole = EMPTY;
    return true;
  }

  /**
   * Copies (and unmasks) a piece into the frame being gathered; hands it on
   * once complete. The buffer is the frame's exact size once that is at
   * most four times what arrived plus 16 KiB; until then, a staging buffer
   * of four times what arrived, replaced by a larger one (the bytes so far
   * copied over) when a piece does not fit.
   */
  #gather(piece: Uint8Array): boolean {
    const header = this.header;
    const length = header.length;
    // The frame's bytes in hand with this piece, and where the piece starts.
    const end = length - this.#remaining;
    const at = end - piece.length;
    let whole = this.#whole!;
    if (whole.length < end) {
      // Every byte is written (copied or unmasked in) before the frame is
      // handed on: what was not written of the old buffer (from `at`) is
      // shorter than the piece, which is unmasked over it next.
      const grown = freshBytes(length > 4 * end + GATHER_ALLOWANCE ? 4 * end : length);
      grown.set(whole);
      this.#whole = whole = grown;
    }
    if (header.masked) applyMaskTo(piece, whole, at, keyBytes(this.#maskKey), at & 3);
    else whole.set(piece, at);
    // The last piece comes with the frame it ends (nothing remains).
    if (!this.#handler.onGatheredPiece(whole.subarray(at, end), this.#remaining ? null : whole)) return false;
    if (this.#remaining) return true;
    this.#whole = null;
    this.#phase = Phase.Header;
    // Memory of its own: kept as it is even when the input was borrowed.
    return this.#handler.onFramePayload(whole, true, false);
  }

  /** Reads a header at `pos`; returns the next position, or -1 to stop. */
  #readHeader(chunk: Uint8Array, pos: number): number {
    let at = pos;
    const available = chunk.length - pos;
    if (this.#scratchLength === 0 && available >= 2) {
      const size = headerSize(chunk[pos + 1]!);
      if (available >= size) {
        if (!this.#decodeHeader(chunk, pos)) return -1;
        return this.#startPayload(pos + size);
      }
    }
    // Slow path: gather the header into the scratch buffer.
    const scratch = (this.#scratch ??= new Uint8Array(14));
    let needed = this.#scratchLength < 2 ? 2 : headerSize(scratch[1]!);
    while (this.#scratchLength < needed && at < chunk.length) {
      scratch[this.#scratchLength++] = chunk[at++]!;
      if (this.#scratchLength === 2) needed = headerSize(scratch[1]!);
    }
    if (this.#scratchLength < needed) return chunk.length;
    this.#scratchLength = 0;
    if (!this.#decodeHeader(scratch, 0)) return -1;
    return this.#startPayload(at);
  }

  #startPayload(pos: number): number {
    const header = this.header;
    if (!this.#handler.onFrameHeader(header)) {
      this.stop();
      return -1;
    }
    if (header.length === 0) {
      if (!this.#handler.onFramePayload(EMPTY, true, false)) {
        this.stop();
        return -1;
      }
      return pos;
    }
    this.#remaining = header.length;
    this.#maskPhase = 0;
    this.#phase = Phase.Payload;
    return pos;
  }

  /** Decodes and checks the header at `bytes[at]`; false after reporting an error. */
  #decodeHeader(bytes: Uint8Array, at: number): boolean {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const header = this.header;
    header.fin = (b0 & 0x80) !== 0;
    header.rsv = b0 & 0x70;
    header.opcode = b0 & 0x0f;
    header.masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = (bytes[offset]! << 8) | bytes[offset + 1]!;
      offset += 2;
      // RFC 6455 §5.2: "the minimal number of bytes MUST be used".
      if (length < 126) return this.#fail(protocolError('NON_MINIMAL_LENGTH', { bits: 16 }));
    } else if (length === 127) {
      const high = readUint32(bytes, offset);
      const low = readUint32(bytes, offset + 4);
      offset += 8;
      // §5.2: "the most significant bit MUST be 0".
      if (high >= 0x80000000) return this.#fail(protocolError('LENGTH_OUT_OF_RANGE', {}));
      if (high === 0 && low < 65536) {
        return this.#fail(protocolError('NON_MINIMAL_LENGTH', { bits: 64 }));
      }
      // Past 2^53 the sum is inexact, but also past any allowed maxLength.
      length = high * 0x100000000 + low;
    }
    header.length = length;

    if (!isKnownOpcode(header.opcode)) {
      return this.#fail(protocolError('RESERVED_OPCODE', { opcode: header.opcode }));
    }
    const control = isControlOpcode(header.opcode);
    // §5.2: RSV bits must be 0 unless an extension defines them.
    if (header.rsv !== 0 && (control || (header.rsv & ~this.allowedRsv) !== 0)) {
      return this.#fail(protocolError('RESERVED_BITS', { rsv: header.rsv, continuation: false }));
    }
    if (control) {
      // §5.5: control frames carry at most 125 bytes and are never fragmented.
      if (!header.fin) return this.#fail(protocolError('FRAGMENTED_CONTROL_FRAME', { opcode: header.opcode }));
      if (length > 125) return this.#fail(protocolError('CONTROL_FRAME_TOO_LONG', { length }));
    }
    if (this.#rules.role === 'server') {
      // §5.1: "The server MUST close the connection upon receiving a frame that is not masked."
      if (!header.masked && this.#rules.requireMasking) {
        return this.#fail(protocolError('UNMASKED_FRAME', {}, { closeCode: this.#rules.unmaskedCloseCode ?? Close.PROTOCOL_ERROR }));
      }
    } else if (header.masked) {
      // §5.1: "A client MUST close a connection if it detects a masked frame."
      return this.#fail(protocolError('MASKED_FRAME', {}));
    }
    // maxLength bounds data; control frames are already capped at 125 bytes,
    // and a close frame must stay readable however low maxLength is set.
    if (!control && length > this.#rules.maxLength) return this.#fail(protocolError('MESSAGE_TOO_LONG', { length, max: this.#rules.maxLength }));
    if (header.masked) this.#maskKey = readUint32(bytes, offset);
    return true;
  }

  #fail(error: ProtocolError): false {
    this.stop();
    this.#handler.onFrameError(error);
    return false;
  }
}

/** A masking key kept as a number (big-endian), as bytes in the shared {@link KEY}. */
function keyBytes(key: number): Uint8Array {
  KEY[0] = key >>> 24;
  KEY[1] = (key >>> 16) & 0xff;
  KEY[2] = (key >>> 8) & 0xff;
  KEY[3] = key & 0xff;
  return KEY;
}

/** Bytes in a header, from its first two bytes. */
function headerSize(b1: number): number {
  const length = b1 & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}
