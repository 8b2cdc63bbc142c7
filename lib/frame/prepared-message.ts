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

// Marked pure so that a bundle which never prepares a message drops it.
const encoder = /* @__PURE__ */ new TextEncoder();

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
  // The text as given, for connections that send it their usual way.
  readonly #text: string | null;

  /** Prepares `data`: a string is sent as a text message, bytes as a binary one. */
  constructor(data: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    let bytes: Uint8Array;
    if (typeof data === 'string') {
      this.opcode = Opcode.TEXT;
      this.#text = data;
      bytes = encoder.encode(data);
    } else if (data instanceof ArrayBuffer) {
      this.opcode = Opcode.BINARY;
      this.#text = null;
      bytes = new Uint8Array(data);
    } else if (ArrayBuffer.isView(data)) {
      this.opcode = Opcode.BINARY;
      this.#text = null;
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      throw new TypeError('PreparedMessage takes a string (text) or bytes (binary)');
    }
    const length = bytes.length;
    const headerSize = frameHeaderSize(length, false);
    const frame = new Uint8Array(headerSize + length);
    writeFrameHeader(frame, 0, true, 0, this.opcode, length, false);
    frame.set(bytes, headerSize);
    this.frame = frame;
    this.payload = frame.subarray(headerSize);
  }

  /** The text of a text message; null for a binary one. */
  get text(): string | null {
    return this.#text;
  }
}
