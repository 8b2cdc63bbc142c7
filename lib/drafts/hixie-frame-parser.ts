/**
 * Incremental reader for the frames a hixie-75 or hixie-76 client sends
 * (draft-75 and draft-76 §5.3, server side):
 *
 * - a frame type byte with the high bit clear starts a sentinel frame: raw
 *   bytes up to a 0xFF byte. Type 0x00 carries a UTF-8 text message; the
 *   drafts say frames of any other such type are read and discarded.
 * - a frame type byte with the high bit set starts a length-prefixed frame:
 *   a length in base 128, seven bits a byte, high bit meaning "more", then
 *   that many bytes, which are discarded. In draft-76, type 0xFF with
 *   length 0 is the closing frame (0xFF 0x00).
 *
 * Bytes may be split anywhere. No frame may be longer than `maxLength`:
 * the limit is checked as bytes arrive, so a frame that never ends cannot
 * grow memory without bound, and the pieces of a text frame are collected
 * in a {@link ByteAccumulator}, so tiny chunks cannot pin large buffers.
 * Text is UTF-8 validated as it arrives, so a bad byte fails at once rather
 * than at the frame's end.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import { ByteAccumulator } from '../frame/byte-accumulator.js';
import { Utf8Validator } from '../frame/utf8-validator.js';

/** What the parser reports; each call happens in stream order. */
export interface HixieFrameSink {
  /** A complete text message. */
  onText(text: string): void;
  /** draft-76: the client sent the closing frame 0xFF 0x00. */
  onClosingFrame(): void;
  /** The client broke the framing rules or a limit; the parser has stopped. */
  onFrameError(error: ProtocolError): void;
}

/** Parser settings. */
export interface HixieFrameParserOptions {
  /** Longest frame accepted, in bytes of payload. */
  readonly maxLength: number;
  /** True for draft-76, where 0xFF 0x00 is the closing frame. */
  readonly closingFrame: boolean;
}

/** Where the parser stands between two bytes. */
type Stage =
  /** Next byte is a frame type. */
  | 'frame-type'
  /** Inside a sentinel frame, reading up to 0xFF. */
  | 'sentinel'
  /** Reading the base-128 length of a length-prefixed frame. */
  | 'length'
  /** Skipping the body of a length-prefixed frame. */
  | 'skip'
  /** Closed, failed or told to stop: every byte is ignored. */
  | 'stopped';

const SENTINEL_END = 0xff;
const decoder = new TextDecoder();

/** See the module comment. */
export class HixieFrameParser {
  readonly #sink: HixieFrameSink;
  readonly #maxLength: number;
  readonly #closingFrame: boolean;
  #stage: Stage = 'frame-type';
  #frameType = 0;
  // Length-prefixed frames: the length read so far, then the bytes left to skip.
  #length = 0;
  // Sentinel frames: whether this one is a message, its text and size so far.
  #isText = false;
  readonly #text = new ByteAccumulator();
  #size = 0;
  readonly #utf8 = new Utf8Validator();

  constructor(sink: HixieFrameSink, options: HixieFrameParserOptions) {
    this.#sink = sink;
    this.#maxLength = options.maxLength;
    this.#closingFrame = options.closingFrame;
  }

  /**
   * Set while delivery is paused (a listener called `pause()`): `push()`
   * stops at the next frame boundary and returns the rest of its chunk
   * unread, as RFC 6455's frame parser does.
   */
  holdRest = false;

  /** True once the parser has stopped reading. */
  get stopped(): boolean {
    return this.#stage === 'stopped';
  }

  /** Memory held for a text frame not yet ended, in bytes. */
  get retainedBytes(): number {
    return this.#text.retainedBytes;
  }

  /**
   * Reads `bytes`; returns what it left unread because `holdRest` was set
   * meanwhile, if anything. Text may be kept as views into them until its
   * frame ends, so the caller must not reuse the buffer.
   */
  push(bytes: Uint8Array): Uint8Array | undefined {
    const end = bytes.length;
    let at = 0;
    // The sink may stop the parser (a listener closing the driver) or
    // pause delivery, so the stage and holdRest are read afresh on every turn.
    while (at < end && this.#stage !== 'stopped') {
      switch (this.#stage) {
        case 'frame-type':
          if (this.holdRest) return bytes.subarray(at);
          at = this.#readFrameType(bytes, at);
          break;
        case 'sentinel':
          at = this.#readSentinel(bytes, at);
          break;
        case 'length':
          at = this.#readLength(bytes, at);
          break;
        case 'skip':
          at = this.#skip(bytes, at);
          break;
      }
    }
    return undefined;
  }

  /** Stops reading and drops whatever was held. */
  stop(): void {
    this.#stage = 'stopped';
    this.#text.reset();
    this.#size = 0;
  }

  #readFrameType(bytes: Uint8Array, at: number): number {
    const type = bytes[at]!;
    this.#frameType = type;
    if ((type & 0x80) === 0x80) {
      this.#length = 0;
      this.#stage = 'length';
    } else {
      this.#isText = type === 0x00;
      this.#size = 0;
      this.#stage = 'sentinel';
    }
    return at + 1;
  }

  #readLength(bytes: Uint8Array, at: number): number {
    const byte = bytes[at]!;
    this.#length = this.#length * 128 + (byte & 0x7f);
    if (this.#length > this.#maxLength) {
      this.#fail(protocolError('MESSAGE_TOO_LONG', { length: this.#maxLength + 1, max: this.#maxLength }));
      return at + 1;
    }
    if ((byte & 0x80) === 0x80) return at + 1;
    if (this.#length === 0) {
      this.#stage = 'frame-type';
      // draft-76 §5.3: "If /frame type/ is 0xFF and /length/ was 0, then
      // set the /client terminated/ flag"; nothing the client sends after
      // it is read.
      if (this.#closingFrame && this.#frameType === 0xff) {
        this.stop();
        this.#sink.onClosingFrame();
      }
    } else {
      this.#stage = 'skip';
    }
    return at + 1;
  }

  #skip(bytes: Uint8Array, at: number): number {
    const taken = Math.min(this.#length, bytes.length - at);
    this.#length -= taken;
    if (this.#length === 0) this.#stage = 'frame-type';
    return at + taken;
  }

  #readSentinel(bytes: Uint8Array, at: number): number {
    const found = bytes.indexOf(SENTINEL_END, at);
    const stop = found < 0 ? bytes.length : found;
    this.#size += stop - at;
    if (this.#size > this.#maxLength) {
      this.#fail(protocolError('MESSAGE_TOO_LONG', { length: this.#maxLength + 1, max: this.#maxLength }));
      return stop;
    }
    if (this.#isText && stop > at) {
      const piece = bytes.subarray(at, stop);
      if (!this.#utf8.push(piece)) {
        this.#fail(protocolError('INVALID_UTF8', {}));
        return stop;
      }
      this.#text.append(piece);
    }
    if (found < 0) return stop;
    this.#stage = 'frame-type';
    if (this.#isText) {
      if (!this.#utf8.end()) {
        this.#fail(protocolError('INVALID_UTF8', {}));
        return found + 1;
      }
      const text = this.#text.length === 0 ? '' : decoder.decode(this.#text.take());
      this.#sink.onText(text);
    }
    return found + 1;
  }

  #fail(error: ProtocolError): void {
    this.stop();
    this.#utf8.reset();
    this.#sink.onFrameError(error);
  }
}
