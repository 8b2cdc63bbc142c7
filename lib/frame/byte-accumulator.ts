/**
 * Collects the pieces of a message that arrives across several chunks or
 * fragments, and joins them once at the end.
 *
 * A piece is kept as a view into its chunk when that is cheap in memory,
 * and copied when a small piece would pin a large chunk: views keep their
 * whole underlying buffer alive, so a flood of tiny fragments, each in its
 * own chunk, could otherwise hold many times the message's size. The rule
 * bounds the memory held to about twice the bytes collected, plus a fixed
 * allowance, however the message is cut.
 *
 * A message of several pieces is delivered in an ArrayBuffer of its own,
 * exactly its size: a user may keep it, or transfer it to a worker,
 * without holding or detaching anything else.
 *
 * When the whole size is announced (a large message in one frame, see
 * {@link ByteAccumulator.expect}), the exact buffer is made once half of it
 * has arrived, and the rest is copied straight in: the finished message
 * needs no join, so peak memory is 1.5× the message rather than 2×. Before
 * that, only what arrived is held (a peer that announces 60 MiB and sends
 * 2 MiB costs 2 MiB); after it, at most twice what arrived. A message whose
 * size is not announced (fragments) is joined at the end, as above.
 *
 * (Growing in place would avoid the join; the two ways to do it are worse.
 * A WebAssembly memory reserves about 10 GiB of address space each, so a
 * process could hold only about 13,000 large messages, and the message is
 * a view of the memory, whose transfer copies all of it. A resizable
 * ArrayBuffer is refused by many Web APIs, and Node 20 cannot turn it into
 * an ordinary one without a copy.)
 *
 * @module
 */
import { freshBytes } from './fresh-bytes.js';

// Memory pinned that is tolerated before small pieces are copied instead.
const PIN_ALLOWANCE = 64 * 1024;
// What one kept piece costs beyond its bytes (the view object and its slot).
const PIECE_OVERHEAD = 128;
const FIRST_BLOCK = 4 * 1024;
const MAX_BLOCK = 1024 * 1024;
/** An announced size from which {@link ByteAccumulator.expect} makes the exact buffer early; below it, pieces are joined. */
export const ANNOUNCED_FROM = 1024 * 1024;

/** Accumulates bytes; see the module comment. */
export class ByteAccumulator {
  #pieces: Uint8Array[] = [];
  #length = 0;
  #pinned = 0;
  #lastBuffer: ArrayBufferLike | null = null;
  // The block small pieces are copied into, and how much of it is used.
  #block: Uint8Array | null = null;
  #blockUsed = 0;
  #nextBlockSize = FIRST_BLOCK;
  // The size announced for the message (0: not announced), and its exact
  // buffer once half of it has arrived.
  #announced = 0;
  #exact: Uint8Array | null = null;

  /** Bytes collected so far. */
  get length(): number {
    return this.#length;
  }

  /** Memory held, counted as whole underlying buffers plus per-piece overhead. */
  get retainedBytes(): number {
    return this.#pinned + (this.#block?.length ?? 0) + (this.#exact?.length ?? 0);
  }

  /**
   * Announces the size the message will have (a single frame's length),
   * before its first piece. From {@link ANNOUNCED_FROM} bytes, the exact
   * buffer is made once half has arrived; see the module comment. More
   * bytes than announced are still taken, by joining at the end.
   */
  expect(total: number): void {
    if (this.#length === 0) this.#announced = total;
  }

  /** Adds a piece. It may be kept as a view, so its bytes must not change after. */
  append(piece: Uint8Array): void {
    const length = piece.length;
    if (length === 0) return;
    const exact = this.#exact;
    if (exact !== null && this.#length + length <= exact.length) {
      exact.set(piece, this.#length);
      this.#length += length;
      return;
    }
    if (exact !== null) this.#leaveExact();
    this.#length += length;
    if (this.#announced >= ANNOUNCED_FROM && 2 * this.#length >= this.#announced && this.#length <= this.#announced) {
      this.#moveToExact(piece);
      return;
    }
    const block = this.#block;
    if (block !== null && block.length - this.#blockUsed >= length) {
      block.set(piece, this.#blockUsed);
      this.#blockUsed += length;
      return;
    }
    const extra = (piece.buffer === this.#lastBuffer ? 0 : piece.buffer.byteLength) + PIECE_OVERHEAD;
    if (this.#pinned + extra <= 2 * this.#length + PIN_ALLOWANCE) {
      this.#sealBlock();
      this.#pieces.push(piece);
      this.#pinned += extra;
      this.#lastBuffer = piece.buffer;
      return;
    }
    this.#copyToNewBlock(piece);
  }

  /** Returns every byte collected, as one array, and empties the accumulator. */
  take(): Uint8Array {
    const exact = this.#exact;
    if (exact !== null) {
      const bytes = this.#length === exact.length ? exact : exact.slice(0, this.#length);
      this.reset();
      return bytes;
    }
    this.#sealBlock();
    const pieces = this.#pieces;
    let result: Uint8Array;
    if (pieces.length === 1) {
      result = pieces[0]!;
    } else {
      // Every byte is written by the pieces.
      result = freshBytes(this.#length);
      let offset = 0;
      for (const piece of pieces) {
        result.set(piece, offset);
        offset += piece.length;
      }
    }
    this.reset();
    return result;
  }

  /** Drops everything collected. */
  reset(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#pinned = 0;
    this.#lastBuffer = null;
    this.#block = null;
    this.#blockUsed = 0;
    this.#nextBlockSize = FIRST_BLOCK;
    this.#announced = 0;
    this.#exact = null;
  }

  /** Copies what was collected, then `piece` (already counted), into the message's exact buffer. */
  #moveToExact(piece: Uint8Array): void {
    this.#sealBlock();
    // Unfilled where possible: only its written part is ever handed on (take() copies a shorter one).
    const exact = freshBytes(this.#announced);
    let at = 0;
    for (const kept of this.#pieces) {
      exact.set(kept, at);
      at += kept.length;
    }
    exact.set(piece, at);
    this.#pieces = [];
    this.#pinned = 0;
    this.#lastBuffer = null;
    this.#exact = exact;
  }

  /** More arrived than was announced: the exact buffer becomes one kept piece, and pieces are joined at the end. */
  #leaveExact(): void {
    const exact = this.#exact!;
    this.#exact = null;
    this.#announced = 0;
    this.#pieces.push(exact.subarray(0, this.#length));
    this.#pinned += exact.length + PIECE_OVERHEAD;
    this.#lastBuffer = exact.buffer;
  }

  #copyToNewBlock(piece: Uint8Array): void {
    this.#sealBlock();
    const size = Math.max(piece.length, this.#nextBlockSize);
    this.#nextBlockSize = Math.min(this.#nextBlockSize * 2, MAX_BLOCK);
    const block = new Uint8Array(size);
    block.set(piece, 0);
    this.#block = block;
    this.#blockUsed = piece.length;
  }

  /** Ends the current copy block: its used part becomes a piece. */
  #sealBlock(): void {
    const block = this.#block;
    if (block === null) return;
    this.#pieces.push(block.subarray(0, this.#blockUsed));
    this.#pinned += block.length + PIECE_OVERHEAD;
    this.#lastBuffer = block.buffer;
    this.#block = null;
    this.#blockUsed = 0;
  }
}
