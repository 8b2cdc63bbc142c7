/**
 * What the load generator puts on the wire and how it reads the answer,
 * written here rather than taken from a WebSocket library so that no
 * server under test is also the one measuring it: the handshake request,
 * masked client frames encoded once before a run, and a scanner that finds
 * frame boundaries in what a server sends without decoding payloads.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The upgrade request every connection sends; with `deflate`, it offers permessage-deflate (RFC 7692). */
export function handshakeRequest(deflate: boolean): Buffer {
  const offer = deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' : '';
  return Buffer.from(
    'GET /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${offer}\r\n`,
  );
}

function headerSize(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

function writeHeader(target: Buffer, fin: boolean, opcode: number, length: number, masked: boolean): number {
  target[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    target[1] = maskBit | length;
    return 2;
  }
  if (length < 65536) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  target[1] = maskBit | 127;
  target.writeBigUInt64BE(BigInt(length), 2);
  return 10;
}

/**
 * A client frame (RFC 6455 §5.3: masked) carrying `payload`; with
 * `announced`, the header claims that many payload bytes while only
 * `payload` follows (the start of a large message still arriving).
 */
export function clientFrame(opcode: number, payload: Uint8Array, announced = payload.length): Buffer {
  const frame = Buffer.alloc(headerSize(announced) + 4 + payload.length);
  const at = writeHeader(frame, true, opcode, announced, true);
  const key = randomBytes(4);
  key.copy(frame, at);
  for (let i = 0; i < payload.length; i++) frame[at + 4 + i] = payload[i]! ^ key[i & 3]!;
  return frame;
}

/** The exact frame a server sends for `payload` in one unmasked, uncompressed frame. */
export function serverFrame(opcode: number, payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(headerSize(payload.length) + payload.length);
  frame.set(payload, writeHeader(frame, true, opcode, payload.length, false));
  return frame;
}

/**
 * Counts the messages (frames with FIN set) in a server's byte stream,
 * chunk by chunk, skipping payloads: the header is read, the payload's
 * length is skipped. Holds at most one partial header between chunks.
 */
export class FrameScanner {
  messages = 0;
  // Payload bytes of the current frame still to skip.
  #skip = 0;
  #fin = false;
  #partial: Buffer | null = null;

  /** Feeds a chunk; returns how many messages it completed. */
  push(chunk: Buffer): number {
    const before = this.messages;
    let data = chunk;
    if (this.#partial !== null) {
      data = Buffer.concat([this.#partial, chunk]);
      this.#partial = null;
    }
    let at = 0;
    while (at < data.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, data.length - at);
        this.#skip -= step;
        at += step;
        if (this.#skip === 0 && this.#fin) this.messages++;
        continue;
      }
      if (data.length - at < 2) break;
      const second = data[at + 1]! & 0x7f;
      const size = second < 126 ? 2 : second === 126 ? 4 : 10;
      if (data.length - at < size) break;
      const length = second < 126 ? second : second === 126 ? data.readUInt16BE(at + 2) : Number(data.readBigUInt64BE(at + 2));
      this.#fin = (data[at]! & 0x80) !== 0;
      at += size;
      this.#skip = length;
      if (length === 0 && this.#fin) this.messages++;
    }
    if (at < data.length) this.#partial = Buffer.from(data.subarray(at));
    return this.messages - before;
  }
}
