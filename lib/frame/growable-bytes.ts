/**
 * A byte store that grows in place, for a large message that arrives in
 * pieces of unknown total size.
 *
 * Collecting pieces and joining them at the end holds the message twice at
 * the moment of the join. Growing an ordinary ArrayBuffer copies it on each
 * growth, which costs the same twice. A WebAssembly memory grows in place:
 * the engine reserves its address space up front and commits pages as they
 * are needed, so the bytes are written once and never moved, and the
 * finished message is a view of the memory's buffer, with no final copy.
 *
 * (A resizable ArrayBuffer would grow in place too, but views of it are
 * refused by some Web APIs, and Node 20 lacks `ArrayBuffer.prototype.transfer`
 * to turn it into an ordinary one without a copy. The memory's buffer is an
 * ordinary ArrayBuffer; it cannot be transferred to a worker, and its length
 * is a whole number of 64 KiB pages, so the message is a view of its start.)
 *
 * @module
 */

const PAGE = 65536;
// Growth steps: at least 1 MiB, or an eighth of what is held, so a message
// costs a few dozen growths at most and overshoots by at most about 12%.
const MIN_GROWTH_PAGES = 16;

/** Bytes written once into memory that grows in place; see the module comment. */
export class GrowableBytes {
  readonly #memory: WebAssembly.Memory;
  readonly #maxPages: number;
  #bytes: Uint8Array;
  #length = 0;

  private constructor(memory: WebAssembly.Memory, maxPages: number) {
    this.#memory = memory;
    this.#maxPages = maxPages;
    this.#bytes = new Uint8Array(memory.buffer);
  }

  /**
   * A store for up to `maxLength` bytes with room for `initial` now, or
   * null where WebAssembly is missing or the engine refuses the memory
   * (address space exhausted, say): the caller then collects pieces itself.
   */
  static create(initial: number, maxLength: number): GrowableBytes | null {
    try {
      const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
      if (wasm === undefined) return null;
      const maxPages = Math.min(65536, Math.ceil(maxLength / PAGE));
      const pages = Math.ceil(initial / PAGE);
      if (pages > maxPages) return null;
      return new GrowableBytes(new wasm.Memory({ initial: pages, maximum: maxPages }), maxPages);
    } catch {
      return null;
    }
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Bytes committed (whole pages). */
  get capacity(): number {
    return this.#bytes.length;
  }

  /** Appends a copy of `piece`; false (nothing written) if the memory cannot grow enough. */
  append(piece: Uint8Array): boolean {
    const end = this.#length + piece.length;
    if (end > this.#bytes.length && !this.#grow(end)) return false;
    this.#bytes.set(piece, this.#length);
    this.#length = end;
    return true;
  }

  /** The bytes written, as a view of the memory's buffer. The store must not be used after. */
  take(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #grow(needed: number): boolean {
    const current = this.#bytes.length / PAGE;
    const wanted = Math.max(Math.ceil(needed / PAGE), current + Math.max(MIN_GROWTH_PAGES, current >>> 3));
    const pages = Math.min(wanted, this.#maxPages);
    if (pages * PAGE < needed) return false;
    try {
      this.#memory.grow(pages - current);
    } catch {
      return false;
    }
    // Growing detaches the old buffer; the bytes are where they were.
    this.#bytes = new Uint8Array(this.#memory.buffer);
    return true;
  }
}
