/**
 * Frame encoding (RFC 6455 §5.2) and the writer that sends messages as
 * frames through the user's `write()`.
 *
 * Copies are made only where they must be: a client masks a copy (the
 * caller's data must not be changed under it); a server sends a large
 * payload as-is after its header, in a second `write()`, and joins small
 * ones to their header in the shared send slab, where one write costs less
 * than two.
 *
 * @module
 */
import { putUint32, utf8Encoder } from '../bytes.js';
import { applyMask, applyMaskTo } from './mask.js';
import { writeMaskKey } from './mask-keys.js';
import { Opcode } from './opcodes.js';
import { allocateFrame, claimSlab, SLAB_ITEM_LIMIT, SLICES_COUNTED, pinSlab, slabBytes, slabRoom, slabSlice } from './send-slab.js';
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
    writeLength64(target, at + 2, length);
    pos += 8;
  }
  if (masked) {
    writeMaskKey(target, pos);
    pos += 4;
  }
  return pos;
}

/**
 * The 64-bit extended payload length (§5.2), big-endian: out of line, so
 * the header writer stays small enough for the JIT to inline into every
 * send path.
 */
function writeLength64(target: Uint8Array, at: number, length: number): void {
  putUint32(target, at, Math.floor(length / 0x100000000));
  putUint32(target, at + 4, length >>> 0);
}

/**
 * Encodes one whole frame into a new buffer (made as the embedder makes
 * outgoing bytes, see send-slab.ts): header, then the payload, masked with
 * a fresh key when `masked`. `payload` is not changed.
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
  // Every byte is written: the header, then the payload.
  const frame = allocateFrame(size + length);
  const start = writeFrameHeader(frame, 0, fin, rsv, opcode, length, masked);
  if (!masked) frame.set(payload, start);
  else if (length > 0) applyMaskTo(payload, frame, start, frame.subarray(start - 4, start), 0);
  return frame;
}

// The largest payload whose length fits in the header's first 7 bits (§5.2).
const MAX_SHORT_PAYLOAD = 125;

// Texts up to this many UTF-16 units are encoded by hand when ASCII.
const SHORT_TEXT = 128;

/**
 * Sends messages and control frames as frames through `sink.write()`.
 *
 * A frame of at most {@link SLAB_ITEM_LIMIT} bytes is built whole in the
 * shared send slab (send-slab.ts) and written once: no allocation, no zero
 * fill, and text is encoded straight into place. A larger server frame is
 * written as its header, then the caller's payload by reference; a larger
 * client frame is masked into a buffer of its own, since the caller's
 * bytes must not change. No byte is written after its slice has been
 * handed to `write()`.
 */
export class FrameWriter {
  // The socket itself rather than a closure around it: one object less per connection.
  readonly #sink: Socket;
  readonly #masked: boolean;
  // Whether the sink counts slab slices back itself (see SLICES_COUNTED).
  readonly #counted: boolean;
  readonly #fragmentSize: number;
  /**
   * Messages of up to this many bytes take the short path (#shortFrame); -1
   * for none. A client masks, and a writer that reports every frame (the
   * tracer overrides frame()) sends each through frame().
   */
  readonly #shortLimit: number;

  constructor(sink: Socket, masked: boolean, fragmentSize: number) {
    this.#sink = sink;
    this.#counted = (sink as { [SLICES_COUNTED]?: boolean })[SLICES_COUNTED] === true;
    this.#masked = masked;
    this.#fragmentSize = fragmentSize;
    this.#shortLimit = masked || this.frame !== FrameWriter.prototype.frame ? -1 : Math.min(MAX_SHORT_PAYLOAD, fragmentSize);
  }

  /** Sends one frame. `payload` is never changed. */
  frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    const length = payload.length;
    const masked = this.#masked;
    const size = frameHeaderSize(length, masked) + length;
    if (size <= SLAB_ITEM_LIMIT) {
      const at = slabRoom(size);
      const slab = slabBytes();
      const start = writeFrameHeader(slab, at, fin, rsv, opcode, length, masked);
      if (!masked) slab.set(payload, start);
      else if (length > 0) applyMaskTo(payload, slab, start, slab.subarray(start - 4, start), 0);
      this.#sendSlab(at, start + length);
      return;
    }
    // A client masks into a buffer of its own (the caller's bytes must not
    // change); a transport that needs one write per frame
    // (Socket.wholeFrames) gets header and payload joined, one copy.
    if (masked || this.#sink.wholeFrames === true) {
      this.#sink.write(encodeFrame(fin, rsv, opcode, payload, masked));
      return;
    }
    const headerSize = frameHeaderSize(length, false);
    const at = slabRoom(headerSize);
    writeFrameHeader(slabBytes(), at, fin, rsv, opcode, length, false);
    this.#sendSlab(at, at + headerSize);
    this.#sink.write(payload);
  }

  /** Writes a frame built beforehand (a {@link PreparedMessage}'s, shared by many writers) as it is. */
  prepared(frame: Uint8Array): void {
    this.#sink.write(frame);
  }

  /**
   * Sends a data message, split into frames of at most `fragmentSize`
   * payload bytes. `rsv` goes on the first frame only (RFC 7692 §6).
   */
  message(opcode: number, rsv: number, payload: Uint8Array): void {
    if (payload.length <= this.#shortLimit) {
      this.#shortFrame(0x80 | rsv | opcode, payload);
      return;
    }
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
    if (length <= SHORT_TEXT && length <= this.#fragmentSize && this.#shortAscii(text)) return;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2).
    const bound = length * 3;
    const masked = this.#masked;
    const headerRoom = frameHeaderSize(bound, masked);
    if (headerRoom + bound <= SLAB_ITEM_LIMIT) {
      const at = slabRoom(headerRoom + bound);
      const slab = slabBytes();
      const payloadAt = at + headerRoom;
      const written = utf8Encoder.encodeInto(text, slab.subarray(payloadAt, payloadAt + bound)).written;
      if (written > this.#fragmentSize) {
        // Kept where it is, and sent from there in fragments; not a slice
        // handed on, so its slab must not be reused while this reads from it.
        claimSlab(payloadAt + written);
        pinSlab();
        this.message(Opcode.TEXT, 0, slab.subarray(payloadAt, payloadAt + written));
        return;
      }
      // The header goes right before the payload; the few bytes of room it did not need stay unused.
      const start = payloadAt - frameHeaderSize(written, masked);
      writeFrameHeader(slab, start, true, 0, Opcode.TEXT, written, masked);
      if (masked) applyMask(slab.subarray(payloadAt, payloadAt + written), slab.subarray(payloadAt - 4, payloadAt), 0);
      this.#sendSlab(start, payloadAt + written);
      return;
    }
    // Longer ASCII text is encoded straight into its frame: one buffer, one write.
    if (length <= this.#fragmentSize && this.#wholeAsciiText(text)) return;
    const bytes = utf8Encoder.encode(text);
    if (bytes.length <= this.#fragmentSize) this.#ownPayload(Opcode.TEXT, bytes);
    else this.message(Opcode.TEXT, 0, bytes);
  }

  /**
   * A whole unmasked message of at most 125 bytes: §5.2's 2-byte header
   * (`first`: FIN, RSV and opcode; then the length) and the payload, joined
   * in the slab and written once. The most frequent send there is, kept to
   * a few lines so the JIT inlines all of it into text() and binary().
   */
  #shortFrame(first: number, payload: Uint8Array): void {
    const length = payload.length;
    const at = slabRoom(2 + length);
    const slab = slabBytes();
    slab[at] = first;
    slab[at + 1] = length;
    slab.set(payload, at + 2);
    // #sendSlab's three lines, here rather than one more call.
    const end = at + 2 + length;
    const frame = slabSlice(at, end, this.#counted);
    claimSlab(end);
    this.#sink.write(frame);
  }

  /** Claims the slab up to `end` and writes the frame at `start`. */
  #sendSlab(start: number, end: number): void {
    const frame = slabSlice(start, end, this.#counted);
    // Claimed before write(): a write that sends again must not build over this frame.
    claimSlab(end);
    this.#sink.write(frame);
  }

  /**
   * Sends a payload this writer made itself (a long text's encoding) as one
   * frame: masked in place when a client sends it (no one else holds it),
   * written after its header, so it is never copied; joined to its header
   * when the transport wants whole frames.
   */
  #ownPayload(opcode: number, payload: Uint8Array): void {
    const length = payload.length;
    const masked = this.#masked;
    if (this.#sink.wholeFrames === true) {
      // One write per frame: joined, and a client masks the joined copy.
      this.frame(true, 0, opcode, payload);
      return;
    }
    const at = slabRoom(frameHeaderSize(length, masked));
    const slab = slabBytes();
    const start = writeFrameHeader(slab, at, true, 0, opcode, length, masked);
    if (masked) applyMask(payload, slab.subarray(start - 4, start), 0);
    this.#sendSlab(at, start);
    this.#sink.write(payload);
  }

  /**
   * A long text (past the send slab), encoded straight into its own frame:
   * one buffer and one write, sized for ASCII (one byte per UTF-16 unit), which the
   * encoder confirms by reading the whole text into exactly that room. False
   * if it did not fit (some of it is not ASCII): nothing was written.
   */
  #wholeAsciiText(text: string): boolean {
    const length = text.length;
    const masked = this.#masked;
    const headerSize = frameHeaderSize(length, masked);
    const frame = allocateFrame(headerSize + length);
    // Every unit takes at least one byte, so reading all of them into `length` bytes writes exactly `length`.
    if (utf8Encoder.encodeInto(text, frame.subarray(headerSize)).read !== length) return false;
    writeFrameHeader(frame, 0, true, 0, Opcode.TEXT, length, masked);
    if (masked) applyMask(frame.subarray(headerSize), frame.subarray(headerSize - 4, headerSize), 0);
    this.#sink.write(frame);
    return true;
  }

  /**
   * A short ASCII text goes straight into its frame in the slab, masked on
   * the way when a client sends it: no encoder call. False if the text is
   * not ASCII (nothing was claimed; the slab's free room may hold a partial
   * frame, which the next frame overwrites).
   */
  #shortAscii(text: string): boolean {
    const length = text.length;
    const masked = this.#masked;
    const at = slabRoom(frameHeaderSize(length, masked) + length);
    const frame = slabBytes();
    const start = writeFrameHeader(frame, at, true, 0, Opcode.TEXT, length, masked);
    // A client XORs with the key in the 4 bytes before the payload, read as
    // one word (first byte lowest; a server's is 0). A store keeps the low
    // byte. Four units a step: 10-13 ns less than one at a time for 16
    // units (bench/analysis.md, "Issue 10's dropped rows").
    const key = masked ? frame[start - 4]! | (frame[start - 3]! << 8) | (frame[start - 2]! << 16) | (frame[start - 1]! << 24) : 0;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      const c0 = text.charCodeAt(i);
      const c1 = text.charCodeAt(i + 1);
      const c2 = text.charCodeAt(i + 2);
      const c3 = text.charCodeAt(i + 3);
      if ((c0 | c1 | c2 | c3) >= 0x80) return false;
      frame[start + i] = c0 ^ key;
      frame[start + i + 1] = c1 ^ (key >>> 8);
      frame[start + i + 2] = c2 ^ (key >>> 16);
      frame[start + i + 3] = c3 ^ (key >>> 24);
    }
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return false;
      frame[start + i] = c ^ (key >>> ((i & 3) << 3));
    }
    this.#sendSlab(at, start + length);
    return true;
  }
}
