/**
 * Frame encoding (RFC 6455 §5.2) and the writer that sends messages as
 * frames through the user's `write()`.
 *
 * Copies are made only where they must be: a client masks into a fresh
 * buffer (the caller's data must not be changed under it); a server sends a
 * large payload as-is after its header, in a second `write()`, and joins
 * small ones to their header, where one write costs less than two.
 *
 * @module
 */
import { applyMask, applyMaskTo } from './mask.js';
import { writeMaskKey } from './mask-keys.js';
import { Opcode } from './opcodes.js';
import type { Socket } from '../events.js';

/** Bytes in a frame header for a payload of `length` bytes. */
export function frameHeaderSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header into `target` at `at`; returns where the payload
 * starts. With `masked`, a fresh key is written and must be applied to the
 * payload by the caller (see {@link encodeFrame}).
 */
export function writeFrameHeader(
  target: Uint8Array,
  at: number,
  fin: boolean,
  rsv: number,
  opcode: number,
  length: number,
  masked: boolean,
): number {
  target[at] = (fin ? 0x80 : 0) | rsv | opcode;
  const maskBit = masked ? 0x80 : 0;
  let pos = at + 2;
  if (length < 126) {
    target[at + 1] = maskBit | length;
  } else if (length < 65536) {
    target[at + 1] = maskBit | 126;
    target[at + 2] = length >>> 8;
    target[at + 3] = length & 0xff;
    pos += 2;
  } else {
    target[at + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[at + 2] = high >>> 24;
    target[at + 3] = (high >>> 16) & 0xff;
    target[at + 4] = (high >>> 8) & 0xff;
    target[at + 5] = high & 0xff;
    target[at + 6] = low >>> 24;
    target[at + 7] = (low >>> 16) & 0xff;
    target[at + 8] = (low >>> 8) & 0xff;
    target[at + 9] = low & 0xff;
    pos += 8;
  }
  if (masked) {
    writeMaskKey(target, pos);
    pos += 4;
  }
  return pos;
}

/**
 * Encodes one whole frame into a new buffer: header, then the payload,
 * masked with a fresh key when `masked`. `payload` is not changed.
 */
export function encodeFrame(
  fin: boolean,
  rsv: number,
  opcode: number,
  payload: Uint8Array,
  masked: boolean,
): Uint8Array {
  const length = payload.length;
  const size = frameHeaderSize(length, masked);
  const frame = new Uint8Array(size + length);
  const start = writeFrameHeader(frame, 0, fin, rsv, opcode, length, masked);
  if (!masked) frame.set(payload, start);
  else if (length > 0) applyMaskTo(payload, frame, start, frame.subarray(start - 4, start), 0);
  return frame;
}

// A payload up to this size is joined to its header in one write.
const JOIN_LIMIT = 16 * 1024;
// Texts up to this many UTF-16 units are encoded by hand when ASCII.
const SHORT_TEXT = 128;

// The longest frame header: 2 + 8 length bytes + 4 key bytes.
const HEADROOM = 14;

const encoder = new TextEncoder();

/** Sends messages and control frames as frames through `sink.write()`. */
export class FrameWriter {
  // The socket itself rather than a closure around it: one object less per connection.
  readonly #sink: Socket;
  readonly #masked: boolean;
  readonly #fragmentSize: number;

  constructor(sink: Socket, masked: boolean, fragmentSize: number) {
    this.#sink = sink;
    this.#masked = masked;
    this.#fragmentSize = fragmentSize;
  }

  /** Sends one frame. `payload` is never changed. */
  frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    const length = payload.length;
    if (this.#masked || length <= JOIN_LIMIT || this.#sink.wholeFrames === true) {
      this.#sink.write(encodeFrame(fin, rsv, opcode, payload, this.#masked));
      return;
    }
    const header = new Uint8Array(frameHeaderSize(length, false));
    writeFrameHeader(header, 0, fin, rsv, opcode, length, false);
    this.#sink.write(header);
    this.#sink.write(payload);
  }

  /**
   * Sends a data message, split into frames of at most `fragmentSize`
   * payload bytes. `rsv` goes on the first frame only (RFC 7692 §6).
   */
  message(opcode: number, rsv: number, payload: Uint8Array): void {
    const size = this.#fragmentSize;
    if (payload.length <= size) {
      this.frame(true, rsv, opcode, payload);
      return;
    }
    let offset = 0;
    let frameOpcode = opcode;
    let frameRsv = rsv;
    while (offset < payload.length) {
      const end = Math.min(offset + size, payload.length);
      this.frame(end === payload.length, frameRsv, frameOpcode, payload.subarray(offset, end));
      frameOpcode = Opcode.CONTINUATION;
      frameRsv = 0;
      offset = end;
    }
  }

  /** Sends a text message. */
  text(text: string): void {
    const length = text.length;
    if (length <= SHORT_TEXT && length <= this.#fragmentSize && this.#shortText(text)) return;
    if (length <= this.#fragmentSize) {
      const frame = this.#encodedText(text);
      if (frame !== null) {
        this.#sink.write(frame);
        return;
      }
    }
    this.message(Opcode.TEXT, 0, encoder.encode(text));
  }

  /**
   * Encodes a text straight into its frame, behind room left for the
   * header: exact for ASCII, one regrowth otherwise. Null if the encoded
   * text is longer than `fragmentSize` (it must be split into frames).
   */
  #encodedText(text: string): Uint8Array | null {
    const length = text.length;
    let buffer = new Uint8Array(HEADROOM + length);
    const first = encoder.encodeInto(text, buffer.subarray(HEADROOM));
    let written = first.written;
    if (first.read < length) {
      // Not ASCII: room for the rest at 3 bytes per UTF-16 unit at most.
      const larger = new Uint8Array(HEADROOM + written + (length - first.read) * 3);
      larger.set(buffer.subarray(HEADROOM, HEADROOM + written), HEADROOM);
      written += encoder.encodeInto(text.substring(first.read), larger.subarray(HEADROOM + written)).written;
      buffer = larger;
    }
    if (written > this.#fragmentSize) return null;
    const masked = this.#masked;
    const start = HEADROOM - frameHeaderSize(written, masked);
    writeFrameHeader(buffer, start, true, 0, Opcode.TEXT, written, masked);
    if (masked) applyMask(buffer.subarray(HEADROOM, HEADROOM + written), buffer.subarray(HEADROOM - 4, HEADROOM), 0);
    return buffer.subarray(start, HEADROOM + written);
  }

  /**
   * A short ASCII text goes straight into its frame, masked on the way
   * when a client sends it: no encoder call, one allocation. False if the
   * text is not ASCII (nothing was written).
   */
  #shortText(text: string): boolean {
    const length = text.length;
    const masked = this.#masked;
    const frame = new Uint8Array(frameHeaderSize(length, masked) + length);
    const start = writeFrameHeader(frame, 0, true, 0, Opcode.TEXT, length, masked);
    if (masked) {
      const k0 = frame[start - 4]!;
      const k1 = frame[start - 3]!;
      const k2 = frame[start - 2]!;
      const k3 = frame[start - 1]!;
      let i = 0;
      for (; i + 4 <= length; i += 4) {
        const c0 = text.charCodeAt(i);
        const c1 = text.charCodeAt(i + 1);
        const c2 = text.charCodeAt(i + 2);
        const c3 = text.charCodeAt(i + 3);
        if ((c0 | c1 | c2 | c3) >= 0x80) return false;
        frame[start + i] = c0 ^ k0;
        frame[start + i + 1] = c1 ^ k1;
        frame[start + i + 2] = c2 ^ k2;
        frame[start + i + 3] = c3 ^ k3;
      }
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) return false;
        frame[start + i] = c ^ frame[start - 4 + (i & 3)]!;
      }
    } else {
      for (let i = 0; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) return false;
        frame[start + i] = c;
      }
    }
    this.#sink.write(frame);
    return true;
  }
}
