/**
 * Turns frames into messages (RFC 6455 §5.4, §5.6, §8.1): reassembles
 * fragments with control frames interleaved, enforces the message-level
 * rules and validates text as it arrives.
 *
 * Text that arrives whole, in one piece, is validated and decoded in one
 * pass by a fatal `TextDecoder`. Text that arrives in pieces is validated
 * piece by piece (so a bad fragment fails the connection when it arrives)
 * by a {@link TextAssembler}, which decodes large pieces as they come.
 * With `decodeText` off, text is checked the same way (a whole message in
 * one pass, pieces as they arrive) but delivered as its bytes; where an
 * embedder supplies a decoder of checked text (lib/frame/checked-text.ts),
 * decoded text is gathered so too, and decoded once at the end. A text
 * frame that spans reads is then gathered whole, each piece checked as
 * the unmask writes it in ({@link MessageReader.onGatheredPiece}).
 *
 * @module
 */
import { concatBytes, strictUtf8 } from '../bytes.js';
import { ProtocolError, protocolError } from '../errors.js';
import { copyText } from '../frame/borrowed-input.js';
import { ANNOUNCED_FROM, ByteAccumulator } from '../frame/byte-accumulator.js';
import { decodeCheckedText } from '../frame/checked-text.js';
import type { FrameHandler, FrameHeader } from '../frame/frame-parser.js';
import { Opcode, isControlOpcode } from '../frame/opcodes.js';
import { TextAssembler } from '../frame/text-assembler.js';
import { TextPieces } from '../frame/text-pieces.js';
import { isValidUtf8 } from '../frame/utf8-validator.js';

/** Receives what the reader assembles. */
export interface MessageSink {
  /**
   * A complete data message. With `rsv` 0, text arrives validated, as a
   * string (or its bytes: see {@link MessageReader.text}); with RSV bits set (an extension's message, compressed say)
   * the bytes arrive as received, for the extension to decode.
   */
  onMessage(opcode: number, rsv: number, data: string | Uint8Array): void;
  /** A complete close, ping or pong frame; `payload` is the driver's own copy. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** The peer broke a rule; reading has stopped. */
  onReadError(error: ProtocolError): void;
}

/** How messages are streamed (`streamMessages`): see {@link MessageReader.streaming}. */
export interface StreamingRule {
  /** Where the pieces go. */
  readonly sink: StreamedMessageSink;
  /** `maxStreamedMessageSize`. */
  readonly maxSize: number;
  /** Compressed (RSV1) messages stream too, for the driver to inflate. */
  compressed: boolean;
}

/** The streamed message being read. */
interface StreamedMessage {
  readonly compressed: boolean;
  /** Uncompressed text: checked (and decoded, unless `text` is `'bytes'`) as it arrives. */
  readonly text: TextPieces | null;
}

/** Receives streamed messages (`streamMessages`): see {@link MessageReader.streaming}. */
export interface StreamedMessageSink {
  onMessageStart(type: 'text' | 'binary'): void;
  onMessagePiece(data: string | Uint8Array): void;
  onMessageEnd(): void;
  /**
   * With `streaming.compressed`: a piece of a compressed message (RSV1), as
   * received, for the driver to inflate; the driver reports its end.
   */
  onCompressedPiece(piece: Uint8Array, fin: boolean): void;
}

// A whole message from this size is checked, then decoded by the embedder's decoder, where one is supplied.
const CHECKED_DECODE_FROM = 1024;
// The text frame just gathered whole and checked piece by piece as it
// arrived (see onGatheredPiece), so not checked again; parsing is
// synchronous, so readers can share it.
let checkedFrame: Uint8Array | null = null;
// RFC 7692 §6: the per-message compressed bit.
const RSV1 = 0x40;

/**
 * Frame handler that assembles messages; see the module comment.
 *
 * At most 15 fields, the private-method brand counted: V8 sizes a class's
 * instances from the first few it makes (seven in Node 20), and if none of
 * those is alive when the last is made (short connections, a full GC
 * between), every later instance gets no in-object fields; a 16th field
 * defined through a private name then turns each new reader into a
 * dictionary, and every field read into a hash lookup (bench/analysis.md,
 * "Small receive rows after large text"; test/perf/object-shapes.test.ts).
 * The driver's subclass counts too: it adds the driver, and implements the
 * {@link MessageSink} methods the reader delivers to, so no sink object
 * sits between them (one object less per connection).
 */
export abstract class MessageReader implements FrameHandler, MessageSink {
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
  // Checks text kept as bytes that arrives in pieces (a bad piece fails the connection, which ends reading).
  #textBytes: TextPieces | null = null;
  // A control frame's payload so far when it straddles chunks (a copy).
  #control: Uint8Array | null = null;
  /**
   * How text messages are handed over: `'string'`, checked and decoded
   * (`decodeText`, the default); `'bytes'`, checked and kept as bytes
   * (`decodeText: false`); `'raw'`, unchecked bytes as with RSV bits set,
   * while an extension is active (extensions see bytes, and text is
   * checked only after they have decoded it). One field, not two flags:
   * see the class comment.
   */
  text: 'string' | 'bytes' | 'raw' = 'string';
  /**
   * Messages delivered piece by piece (`streamMessages`), or null for
   * whole messages. Messages with RSV bits, and all messages while `text`
   * is `'raw'`, are still assembled whole for the extensions,
   * unless `compressed` is set: then compressed (RSV1) messages stream too,
   * as received, for the driver to inflate.
   */
  streaming: StreamingRule | null = null;
  // The streamed message in progress, or null.
  #current: StreamedMessage | null = null;

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  abstract onMessage(opcode: number, rsv: number, data: string | Uint8Array): void;
  abstract onControl(opcode: number, payload: Uint8Array): void;
  abstract onReadError(error: ProtocolError): void;

  /** True if the message starting with this header is delivered in pieces. */
  #streams(opcode: number, rsv: number): boolean {
    const streaming = this.streaming;
    if (streaming === null || (opcode !== Opcode.TEXT && opcode !== Opcode.BINARY)) return false;
    if (streaming.compressed) return rsv === 0 || rsv === RSV1;
    return rsv === 0 && this.text !== 'raw';
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
      if (this.#streams(opcode, header.rsv)) this.#startStreamed(opcode, header.rsv === RSV1);
    }
    const total = this.#received + header.length;
    const streamed = this.#current !== null;
    const limit = streamed ? this.streaming!.maxSize : this.#maxLength;
    if (total > limit) {
      const name = streamed ? 'maxStreamedMessageSize' : 'maxLength';
      return this.#fail(protocolError('MESSAGE_TOO_LONG', { length: total, max: limit, limit: name }));
    }
    if (streamed) {
      this.#received = total;
      return true;
    }
    // A large message in one frame: its size is known, so its buffer can be made exact (see ByteAccumulator).
    if (header.fin && opcode !== Opcode.CONTINUATION && header.length >= ANNOUNCED_FROM && !this.#assemblesText()) {
      this.#message.expect(header.length);
    }
    return true;
  }

  #startStreamed(opcode: number, compressed: boolean): void {
    const text = opcode === Opcode.TEXT;
    // Fatal: a bad sequence throws in the piece that completes it; the driver checks inflated text itself.
    this.#current = { compressed, text: text && !compressed ? new TextPieces(this.text === 'string') : null };
    this.streaming!.sink.onMessageStart(text ? 'text' : 'binary');
  }

  /** A piece of a streamed message: delivered at once, text decoded as far as it is complete. */
  #streamedPayload(piece: Uint8Array, complete: boolean): boolean {
    const sink = this.streaming!.sink;
    const current = this.#current!;
    if (current.compressed) {
      if (complete) {
        this.#current = null;
        this.#endMessage();
      }
      // Inflated, checked and delivered by the driver, which ends the message.
      sink.onCompressedPiece(piece, complete);
      return true;
    }
    if (current.text !== null) {
      // §8.1: fails in the piece that holds the bad sequence; the last piece flushes.
      const text = current.text.next(piece, complete);
      if (text === null) return this.#fail(protocolError('INVALID_UTF8', {}));
      if (text.length > 0) sink.onMessagePiece(text);
    } else if (piece.length > 0) {
      sink.onMessagePiece(piece);
    }
    if (complete) {
      this.#current = null;
      this.#endMessage();
      sink.onMessageEnd();
    }
    return true;
  }

  /** Whether the current message is text this reader validates (rather than bytes it hands on). */
  #checksText(): boolean {
    return this.#messageOpcode === Opcode.TEXT && this.#messageRsv === 0 && this.text !== 'raw';
  }

  /** Whether the current message is text decoded piece by piece by the {@link TextAssembler}, not gathered as bytes. */
  #assemblesText(): boolean {
    return this.#checksText() && this.text === 'string' && decodeCheckedText === null;
  }

  onFramePayload(piece: Uint8Array, last: boolean, borrowed: boolean): boolean {
    // Control payloads are always copied.
    if (isControlOpcode(this.#frameOpcode)) return this.#controlPayload(piece, last);
    const complete = last && this.#frameFin;
    // Borrowed input (borrowed-input.ts): what is kept or handed on as
    // bytes is copied; only a whole text message decoded at once is not,
    // and one kept as bytes is copied as the embedder copies text.
    const wholeText = complete && this.#received === 0 && this.#current === null && this.#checksText();
    if (borrowed && !(wholeText && this.text === 'string')) piece = wholeText ? copyText(piece) : piece.slice();
    if (this.#current !== null) return this.#streamedPayload(piece, complete);
    const opcode = this.#messageOpcode;
    const rsv = this.#messageRsv;
    const checkText = this.#checksText();
    if (complete && this.#received === 0) {
      // The whole message is this one piece: no copy, one decoding pass.
      this.#messageOpcode = 0;
      return this.#deliver(opcode, rsv, piece, checkText);
    }
    this.#received += piece.length;
    const decode = decodeCheckedText;
    // A message begun in the assembler ends there, should the Node hook be installed meanwhile (a lazy import).
    if (checkText && (this.text === 'bytes' || (decode !== null && !((this.#textAssembler?.length ?? 0) > 0)))) {
      // §8.1: checked piece by piece, so a bad one fails now; gathered as
      // bytes, and decoded once at the end when delivered as a string.
      if ((this.#textBytes ??= new TextPieces(false)).next(piece, complete) === null) {
        return this.#fail(protocolError('INVALID_UTF8', {}));
      }
    } else if (checkText) {
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
      this.onMessage(opcode, rsv, text);
      return true;
    }
    this.#message.append(piece);
    if (!complete) return true;
    this.#endMessage();
    const data = this.#message.take();
    if (checkText && this.text === 'string') {
      this.onMessage(opcode, rsv, decode!(data, this.#textBytes!.ascii));
      return true;
    }
    return this.#deliver(opcode, rsv, data, false);
  }

  #endMessage(): void {
    this.#messageOpcode = 0;
    this.#received = 0;
  }

  wantsWholeFrame(header: FrameHeader): boolean {
    // Only a frame that is the whole message: gathering saves the join.
    // Fragments are joined at the message's end anyway. Text is checked
    // piece by piece as it is gathered, to fail fast (§8.1); text the
    // assembler decodes as it arrives is not gathered.
    if (isControlOpcode(header.opcode) || !header.fin || this.#received !== 0 || this.#current !== null) return false;
    return !this.#assemblesText();
  }

  onGatheredPiece(piece: Uint8Array, whole: Uint8Array | null): boolean {
    if (!this.#checksText()) return true;
    // §8.1: a bad piece fails now, before the rest of the frame arrives.
    if ((this.#textBytes ??= new TextPieces(false)).next(piece, whole !== null) === null) {
      return this.#fail(protocolError('INVALID_UTF8', {}));
    }
    // The frame once its last piece is checked (null before).
    checkedFrame = whole;
    return true;
  }

  onFrameError(error: ProtocolError): void {
    this.onReadError(error);
  }

  #deliver(opcode: number, rsv: number, data: Uint8Array, checkText: boolean): boolean {
    const checked = data === checkedFrame;
    checkedFrame = null;
    if (!checkText || this.text === 'bytes') {
      if (checkText && !checked && !isValidUtf8(data)) return this.#fail(protocolError('INVALID_UTF8', {}));
      this.onMessage(opcode, rsv, data);
      return true;
    }
    let string: string;
    const decode = decodeCheckedText;
    if (decode !== null && (checked || data.length >= CHECKED_DECODE_FROM)) {
      if (!checked && !isValidUtf8(data)) return this.#fail(protocolError('INVALID_UTF8', {}));
      string = decode(data, checked && this.#textBytes!.ascii);
    } else {
      try {
        string = strictUtf8.decode(data);
      } catch {
        return this.#fail(protocolError('INVALID_UTF8', {}));
      }
    }
    this.onMessage(opcode, rsv, string);
    return true;
  }

  #controlPayload(piece: Uint8Array, last: boolean): boolean {
    // At most 125 bytes (§5.5): the pieces of one that spans reads are joined as they come.
    const held = this.#control;
    const payload = held === null ? piece.slice() : concatBytes(held, piece);
    this.#control = last ? null : payload;
    if (last) this.onControl(this.#frameOpcode, payload);
    return true;
  }

  #fail(error: ProtocolError): false {
    this.#received = 0;
    this.#current = null;
    this.#messageBytes?.reset();
    this.#textAssembler?.reset();
    this.onReadError(error);
    return false;
  }
}
