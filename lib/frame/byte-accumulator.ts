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
 * A message that grows past 1 MiB moves into a {@link GrowableBytes}
 * store, where each byte is copied once as it arrives and the finished
 * message needs no join: peak memory stays near the message's size, not
 * twice it. Where that store is unavailable, pieces are joined as above.
 *
 * @module
 */
import { GrowableBytes } from './growable-bytes.js';

// Memory pinned that is tolerated before small pieces are copied instead.
const PIN_ALLOWANCE = 64 * 1024;
// What one kept piece costs beyond its bytes (the view object and its slot).
const PIECE_OVERHEAD = 128;
const FIRST_BLOCK = 4 * 1024;
const MAX_BLOCK = 1024 * 1024;
// Messages longer than this move into growable storage.
const GROWABLE_FROM = 1024 * 1024;

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
  // The growable store once the message is large, and whether it was refused.
  #store: GrowableBytes | null = null;
  #storeRefused = false;
  readonly #maxLength: number;

  /** `maxLength`: the most bytes a message may reach (sizes the growable store's reservation). */
  constructor(maxLength = 2 ** 32) {
    this.#maxLength = maxLength;
  }

  /** Bytes collected so far. */
  get length(): number {
    return this.#length;
  }

  /** Memory held, counted as whole underlying buffers plus per-piece overhead. */
  get retainedBytes(): number {
    return this.#pinned + (this.#block?.length ?? 0) + (this.#store?.capacity ?? 0);
  }

  /** Adds a piece. It may be kept as a view, so its bytes must not change after. */
  append(piece: Uint8Array): void {
    const length = piece.length;
    if (length === 0) return;
    if (this.#store !== null) {
      if (this.#store.append(piece)) {
        this.#length += length;
        return;
      }
      this.#leaveStore();
    }
    this.#length += length;
    if (this.#length > GROWABLE_FROM && !this.#storeRefused && this.#moveToStore(piece)) return;
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
    if (this.#store !== null) {
      const bytes = this.#store.take();
      this.reset();
      return bytes;
    }
    this.#sealBlock();
    const pieces = this.#pieces;
    let result: Uint8Array;
    if (pieces.length === 1) {
      result = pieces[0]!;
    } else {
      result = new Uint8Array(this.#length);
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
    this.#store = null;
    this.#storeRefused = false;
  }

  /** Copies what was collected, then `piece` (already counted), into a new growable store. */
  #moveToStore(piece: Uint8Array): boolean {
    const store = GrowableBytes.create(this.#length + (this.#length >>> 3), this.#maxLength);
    if (store === null) {
      this.#storeRefused = true;
      return false;
    }
    this.#sealBlock();
    for (const kept of this.#pieces) store.append(kept);
    store.append(piece);
    this.#pieces = [];
    this.#pinned = 0;
    this.#lastBuffer = null;
    this.#store = store;
    return true;
  }

  /** The store could not grow: its bytes become one kept piece, and pieces are collected as before. */
  #leaveStore(): void {
    const store = this.#store!;
    this.#store = null;
    this.#storeRefused = true;
    const bytes = store.take();
    this.#pieces.push(bytes);
    this.#pinned += store.capacity + PIECE_OVERHEAD;
    this.#lastBuffer = bytes.buffer;
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
