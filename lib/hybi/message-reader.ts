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
import { ANNOUNCED_FROM, ByteAccumulator } from '../frame/byte-accumulator.js';
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

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

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

  constructor(sink: MessageSink, maxLength: number) {
    this.#sink = sink;
    this.#maxLength = maxLength;
  }

  get #message(): ByteAccumulator {
    return (this.#messageBytes ??= new ByteAccumulator());
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
    }
    const total = this.#received + header.length;
    if (total > this.#maxLength) {
      return this.#fail(
        protocolError('MESSAGE_TOO_LONG', { length: total, max: this.#maxLength }),
      );
    }
    // A large message in one frame: its size is known, so its buffer can be made exact (see ByteAccumulator).
    if (header.fin && opcode !== Opcode.CONTINUATION && header.length >= ANNOUNCED_FROM && !this.#checksText()) {
      this.#message.expect(header.length);
    }
    return true;
  }

  /** Whether the current message is text this reader validates (rather than bytes it hands on). */
  #checksText(): boolean {
    return this.#messageOpcode === Opcode.TEXT && this.#messageRsv === 0 && !this.textAsBytes;
  }

  onFramePayload(piece: Uint8Array, last: boolean): boolean {
    if (isControlOpcode(this.#frameOpcode)) return this.#controlPayload(piece, last);
    const complete = last && this.#frameFin;
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
    if (isControlOpcode(header.opcode) || !header.fin || this.#received !== 0) return false;
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
    this.#messageBytes?.reset();
    this.#textAssembler?.reset();
    this.#sink.onReadError(error);
    return false;
  }
}
