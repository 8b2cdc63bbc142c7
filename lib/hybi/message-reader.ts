/**
 * Turns frames into messages (RFC 6455 §5.4, §5.6, §8.1): reassembles
 * fragments with control frames interleaved, enforces the message-level
 * rules and validates text as it arrives.
 *
 * Text that arrives whole, in one piece, is validated and decoded in one
 * pass by a fatal `TextDecoder`. Text that arrives in pieces is validated
 * piece by piece (so a bad fragment fails the connection when it arrives)
 * by a {@link TextAssembler}, which decodes large pieces as they come.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import { ByteAccumulator } from '../frame/byte-accumulator.js';
import type { FrameHandler, FrameHeader } from '../frame/frame-parser.js';
import { Opcode, isControlOpcode } from '../frame/opcodes.js';
import { TextAssembler } from '../frame/text-assembler.js';

/** Receives what the reader assembles. */
export interface MessageSink {
  /**
   * A complete data message. With `rsv` 0, text arrives as a validated
   * string; with RSV bits set (an extension's message, compressed say)
   * the bytes arrive as received, for the extension to decode.
   */
  onMessage(opcode: number, rsv: number, data: string | Uint8Array): void;
  /** A complete close, ping or pong frame; `payload` is the driver's own copy. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** The peer broke a rule; reading has stopped. */
  onReadError(error: ProtocolError): void;
}

/** Receives streamed messages (`streamMessages`): see {@link MessageReader.streamed}. */
export interface StreamedMessageSink {
  onMessageStart(type: 'text' | 'binary'): void;
  onMessagePiece(data: string | Uint8Array): void;
  onMessageEnd(): void;
  /**
   * With `streamCompressed`: a piece of a compressed message (RSV1), as
   * received, for the driver to inflate; the driver reports its end.
   */
  onCompressedPiece(piece: Uint8Array, fin: boolean): void;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// RFC 7692 §6: the per-message compressed bit.
const RSV1 = 0x40;

/** Frame handler that assembles messages; see the module comment. */
export class MessageReader implements FrameHandler {
  readonly #sink: MessageSink;
  readonly #maxLength: number;
  // The frame being read.
  #frameOpcode = 0;
  #frameFin = false;
  // The data message being assembled: its opcode (0 when none) and RSV bits.
  #messageOpcode = 0;
  #messageRsv = 0;
  // Payload bytes of the message so far.
  #received = 0;
  // Made on the first message that arrives in pieces: an idle connection holds neither.
  #messageBytes: ByteAccumulator | null = null;
  #textAssembler: TextAssembler | null = null;
  // A control frame's payload when it straddles chunks.
  #control: Uint8Array[] | null = null;
  /**
   * Hand every text message over as raw bytes, unvalidated, as with RSV
   * bits set: set when an extension is active, since extensions see bytes
   * and text is validated only after they have decoded it.
   */
  textAsBytes = false;
  /**
   * Where messages go piece by piece (`streamMessages`), or null for whole
   * messages. Messages with RSV bits, and all messages while `textAsBytes`
   * is set, are still assembled whole for the extensions.
   */
  streamed: StreamedMessageSink | null = null;
  /**
   * Stream compressed (RSV1) messages too, handing their pieces as
   * received to `onCompressedPiece`: set when the only extension
   * negotiated can inflate piece by piece (docs/flow-control.md).
   */
  streamCompressed = false;
  #compressed = false;
  readonly #maxStreamedSize: number;
  // The streamed message in progress, and its text decoder (fatal: a bad
  // sequence throws in the piece that completes it).
  #streaming = false;
  #streamDecoder: TextDecoder | null = null;

  constructor(sink: MessageSink, maxLength: number, maxStreamedSize = maxLength) {
    this.#sink = sink;
    this.#maxLength = maxLength;
    this.#maxStreamedSize = maxStreamedSize;
  }

  /** True if the message starting with this header is delivered in pieces. */
  #streams(opcode: number, rsv: number): boolean {
    if (this.streamed === null || (opcode !== Opcode.TEXT && opcode !== Opcode.BINARY)) return false;
    if (this.streamCompressed) return rsv === 0 || rsv === RSV1;
    return rsv === 0 && !this.textAsBytes;
  }

  get #message(): ByteAccumulator {
    return (this.#messageBytes ??= new ByteAccumulator(this.#maxLength));
  }

  get #text(): TextAssembler {
    return (this.#textAssembler ??= new TextAssembler());
  }

  /** Bytes held for a message still being assembled. */
  get retainedBytes(): number {
    return (this.#messageBytes?.retainedBytes ?? 0) + (this.#textAssembler?.retainedBytes ?? 0);
  }

  onFrameHeader(header: FrameHeader): boolean {
    const opcode = header.opcode;
    this.#frameOpcode = opcode;
    this.#frameFin = header.fin;
    if (isControlOpcode(opcode)) return true;
    if (opcode === Opcode.CONTINUATION) {
      // §5.4: a continuation belongs to a message already started.
      if (this.#messageOpcode === 0) {
        return this.#fail(protocolError('UNEXPECTED_CONTINUATION', {}));
      }
      if (header.rsv !== 0) {
        // RFC 7692 §6: per-message bits go on the first frame only.
        return this.#fail(protocolError('RESERVED_BITS', { rsv: header.rsv, continuation: true }));
      }
    } else {
      // §5.4: a new data message may not start inside a fragmented one.
      if (this.#messageOpcode !== 0) {
        return this.#fail(protocolError('EXPECTED_CONTINUATION', {}));
      }
      this.#messageOpcode = opcode;
      this.#messageRsv = header.rsv;
      this.#streaming = this.#streams(opcode, header.rsv);
      this.#compressed = this.#streaming && header.rsv === RSV1;
      if (this.#streaming) this.#startStreamed(opcode);
    }
    const total = this.#received + header.length;
    const limit = this.#streaming ? this.#maxStreamedSize : this.#maxLength;
    if (total > limit) {
      const name = this.#streaming ? 'maxStreamedMessageSize' : 'maxLength';
      return this.#fail(protocolError('MESSAGE_TOO_LONG', { length: total, max: limit, limit: name }));
    }
    if (this.#streaming) this.#received = total;
    return true;
  }

  #startStreamed(opcode: number): void {
    const text = opcode === Opcode.TEXT;
    if (text) this.#streamDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    this.streamed!.onMessageStart(text ? 'text' : 'binary');
  }

  /** A piece of a streamed message: delivered at once, text decoded as far as it is complete. */
  #streamedPayload(piece: Uint8Array, complete: boolean): boolean {
    const sink = this.streamed!;
    if (this.#compressed) {
      if (complete) {
        this.#streaming = false;
        this.#compressed = false;
        this.#endMessage();
      }
      // Inflated, checked and delivered by the driver, which ends the message.
      sink.onCompressedPiece(piece, complete);
      return true;
    }
    if (this.#messageOpcode === Opcode.TEXT) {
      let text: string;
      try {
        // §8.1: fails in the piece that holds the bad sequence; the last piece flushes.
        text = this.#streamDecoder!.decode(piece, { stream: !complete });
      } catch {
        this.#streamDecoder = null;
        return this.#fail(protocolError('INVALID_UTF8', {}));
      }
      if (text.length > 0) sink.onMessagePiece(text);
    } else if (piece.length > 0) {
      sink.onMessagePiece(piece);
    }
    if (complete) {
      this.#streaming = false;
      this.#endMessage();
      sink.onMessageEnd();
    }
    return true;
  }

  onFramePayload(piece: Uint8Array, last: boolean): boolean {
    if (isControlOpcode(this.#frameOpcode)) return this.#controlPayload(piece, last);
    const complete = last && this.#frameFin;
    if (this.#streaming) return this.#streamedPayload(piece, complete);
    const opcode = this.#messageOpcode;
    const rsv = this.#messageRsv;
    const checkText = opcode === Opcode.TEXT && rsv === 0 && !this.textAsBytes;
    if (complete && this.#received === 0) {
      // The whole message is this one piece: no copy, one decoding pass.
      this.#messageOpcode = 0;
      return this.#deliver(opcode, rsv, piece, checkText);
    }
    this.#received += piece.length;
    if (checkText) {
      // Validated (and mostly decoded) piece by piece, so a bad one fails now.
      if (!this.#text.push(piece)) {
        return this.#fail(protocolError('INVALID_UTF8', {}));
      }
      if (!complete) return true;
      const text = this.#text.finish();
      if (text === null) {
        return this.#fail(protocolError('INVALID_UTF8', {}));
      }
      this.#endMessage();
      this.#sink.onMessage(opcode, rsv, text);
      return true;
    }
    this.#message.append(piece);
    if (!complete) return true;
    this.#endMessage();
    return this.#deliver(opcode, rsv, this.#message.take(), false);
  }

  #endMessage(): void {
    this.#messageOpcode = 0;
    this.#received = 0;
  }

  wantsWholeFrame(header: FrameHeader): boolean {
    // Only a frame that is the whole message: gathering saves the join.
    // Fragments are joined at the message's end anyway, and text checked
    // here is validated piece by piece, to fail fast (§8.1).
    if (isControlOpcode(header.opcode) || !header.fin || this.#received !== 0 || this.#streaming) return false;
    return !(this.#messageOpcode === Opcode.TEXT && this.#messageRsv === 0 && !this.textAsBytes);
  }

  onFrameError(error: ProtocolError): void {
    this.#sink.onReadError(error);
  }

  #deliver(opcode: number, rsv: number, data: Uint8Array, text: boolean): boolean {
    if (!text) {
      this.#sink.onMessage(opcode, rsv, data);
      return true;
    }
    let string: string;
    try {
      string = decoder.decode(data);
    } catch {
      return this.#fail(protocolError('INVALID_UTF8', {}));
    }
    this.#sink.onMessage(opcode, rsv, string);
    return true;
  }

  #controlPayload(piece: Uint8Array, last: boolean): boolean {
    if (!last) {
      (this.#control ??= []).push(piece.slice());
      return true;
    }
    let payload: Uint8Array;
    const control = this.#control;
    if (control === null) {
      payload = piece.slice();
    } else {
      control.push(piece);
      payload = new Uint8Array(control.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of control) {
        payload.set(part, offset);
        offset += part.length;
      }
      this.#control = null;
    }
    this.#sink.onControl(this.#frameOpcode, payload);
    return true;
  }

  #fail(error: ProtocolError): false {
    this.#received = 0;
    this.#streaming = false;
    this.#compressed = false;
    this.#messageBytes?.reset();
    this.#textAssembler?.reset();
    this.#sink.onReadError(error);
    return false;
  }
}
