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

/**
 * What a stream holding one frame sent again and again looks like: the
 * frame repeated until it covers a frame plus the longest chunk a read can
 * return, so that any chunk, starting anywhere in a frame, is one
 * comparison with a piece of it. Made once per workload and shared by
 * every connection's {@link RepeatedFrameCounter}.
 */
export class RepeatedFrames {
  readonly frameLength: number;
  readonly bytes: Buffer;

  constructor(frame: Uint8Array, longestChunk: number) {
    if (frame.length === 0) throw new RangeError('an empty frame cannot be counted');
    this.frameLength = frame.length;
    const copies = Math.ceil((frame.length + longestChunk) / frame.length) + 1;
    this.bytes = Buffer.allocUnsafe(copies * frame.length);
    for (let at = 0; at < this.bytes.length; at += frame.length) this.bytes.set(frame, at);
  }
}

/**
 * Counts the frames in a stream that should hold nothing but one expected
 * frame, again and again (echo replies to one request; a broadcast's
 * unmasked, uncompressed frames, the same for every message), and checks
 * every byte: the count is the bytes received over the frame's length, the
 * check one `compare` (a `memcmp`) per chunk against {@link RepeatedFrames}.
 * Reading frame headers one by one cost the load generator more than the
 * server spent sending them. A stream that differs anywhere stops being
 * counted and says where it first differed; a frame that never arrives
 * leaves the count short, which the load generator reports as a message
 * that never came.
 */
export class RepeatedFrameCounter {
  /** Whole frames received. */
  frames = 0;
  /** Stream offset of the first byte that is not the expected one, or -1. */
  mismatchAt = -1;
  readonly #expected: RepeatedFrames;
  /** Bytes of the current frame already received. */
  #phase = 0;

  constructor(expected: RepeatedFrames) {
    this.#expected = expected;
  }

  /** Feeds the first `length` bytes of `chunk`; returns how many frames they completed (0 once the stream has differed). */
  push(chunk: Buffer, length = chunk.length): number {
    if (this.mismatchAt >= 0) return 0;
    const { bytes, frameLength } = this.#expected;
    // Every piece starts at `phase` < frameLength and the reference is a frame plus the longest chunk long, so one piece is the usual case.
    for (let at = 0, phase = this.#phase; at < length; ) {
      const step = Math.min(length - at, bytes.length - phase);
      if (bytes.compare(chunk, at, at + step, phase, phase + step) !== 0) {
        this.mismatchAt = this.frames * frameLength + this.#phase + firstDifference(chunk, at, bytes, phase, step);
        return 0;
      }
      at += step;
      phase = (phase + step) % frameLength;
    }
    const total = this.#phase + length;
    const completed = Math.floor(total / frameLength);
    this.#phase = total - completed * frameLength;
    this.frames += completed;
    return completed;
  }
}

/** Offset, from `at`, of the first byte of `chunk` that differs from `reference` at `from` (within `length` bytes). */
function firstDifference(chunk: Buffer, at: number, reference: Buffer, from: number, length: number): number {
  let i = 0;
  while (i < length && chunk[at + i] === reference[from + i]) i++;
  return at + i;
}
