/**
 * A message encoded once into the frame a server sends, for any number of
 * server connections to write as it is (what gorilla/websocket calls a
 * prepared message, and uWebSockets' publish does): a broadcast to 10,000
 * clients encodes and frames the message once, not 10,000 times.
 *
 * @module
 */
import { frameHeaderSize, writeFrameHeader } from './frame-encoder.js';
import { Opcode } from './opcodes.js';
import { strictUtf8, utf8Encoder } from '../bytes.js';

/**
 * A text or binary message with its server frame (RFC 6455 §5.2: one
 * unmasked frame, FIN set) built once. Pass it to `driver.sendPrepared()`
 * or `ClientGroup.broadcast()`. A connection that cannot write the shared
 * frame (a client, which masks each frame with its own key; one with an
 * extension such as permessage-deflate active; one whose `fragmentSize` is
 * smaller than the message; a hixie draft) sends the message its usual
 * way instead, so any connection can be given one.
 *
 * The frame is never changed after it is made: every socket may hold it
 * for as long as it needs. The bytes given to the constructor are copied.
 */
export class PreparedMessage {
  /** `Opcode.TEXT` or `Opcode.BINARY`. */
  readonly opcode: number;
  /** The whole frame, header and payload: what a server connection writes. */
  readonly frame: Uint8Array;
  /** The payload: the UTF-8 text or the bytes (a view into {@link frame}). */
  readonly payload: Uint8Array;
  // The text (as given, or decoded from the bytes), for connections that send it their usual way.
  readonly #text: string | null;

  /**
   * Prepares `data`: a string is sent as a text message, bytes as a binary
   * one, or as `type` says: `'text'` prepares UTF-8 bytes (such as
   * `decodeText: false` delivers) as a text message, with no encoding step
   * (a TypeError if they are not UTF-8). A string with `'binary'` is a TypeError.
   */
  constructor(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, type?: 'text' | 'binary') {
    const isString = typeof data === 'string';
    if (type !== undefined && type !== 'text' && (type !== 'binary' || isString)) throw new TypeError("PreparedMessage type must be 'text', or 'binary' for bytes");
    const bytes = isString ? utf8Encoder.encode(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (bytes === null) throw new TypeError('PreparedMessage takes a string (text) or bytes (binary, or text with type "text")');
    this.opcode = isString || type === 'text' ? Opcode.TEXT : Opcode.BINARY;
    const length = bytes.length;
    const headerSize = frameHeaderSize(length, false);
    const frame = new Uint8Array(headerSize + length);
    writeFrameHeader(frame, 0, true, 0, this.opcode, length, false);
    frame.set(bytes, headerSize);
    this.frame = frame;
    this.payload = frame.subarray(headerSize);
    this.#text = isString ? data : type === 'text' ? decodeText(this.payload) : null;
  }

  /** The text of a text message; null for a binary one. */
  get text(): string | null {
    return this.#text;
  }
}

/**
 * Bytes prepared as text, checked (RFC 6455 §5.6: a text frame's payload is
 * UTF-8) and decoded once, for the connections that cannot write the frame.
 */
function decodeText(payload: Uint8Array): string {
  try {
    return strictUtf8.decode(payload);
  } catch {
    throw new TypeError('PreparedMessage: the bytes of a text message are not UTF-8');
  }
}
