/**
 * Borrowed reads for tests: chunks parsed out of one buffer the size of
 * the Node adapter's shared read buffer, as borrowed input
 * (lib/frame/borrowed-input.ts), and written over with random bytes after
 * each `parse()` call, as the next socket read would. Whatever the driver
 * delivered or still holds must then be exact. By default the buffer is
 * the adapter's own (WebAssembly memory, whose pieces are unmasked in
 * place: wasm-read-buffer.ts), so every test that reads through this
 * helper covers that path too.
 */
import { borrowInput } from '../../lib/frame/borrowed-input.js';
import { sharedReadBuffer } from '../../lib/adapters/node/read-buffer.js';
import type { OpenDriver } from './roles.js';
import { seededRandom } from './chunking.js';

/** Parses `chunks` one by one out of a shared scratch buffer, overwritten with random bytes after each call. */
export class BorrowedReads {
  // The size of the adapter's shared read buffer (READ_BUFFER_SIZE): a
  // larger one would make the accumulator copy pieces anyway (a view would
  // pin it) and hide a missing copy; so no read here is larger.
  readonly #scratch: Uint8Array;
  readonly #random = seededRandom(13);
  #view: Uint8Array | null = null;

  /** `buffer`: the buffer reads are made in; the adapter's shared one by default. */
  constructor(buffer: Uint8Array = sharedReadBuffer()) {
    this.#scratch = buffer;
  }

  feed(driver: Pick<OpenDriver, 'parse'>, chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      if (chunk.length > this.#scratch.length) throw new RangeError(`a read of ${chunk.length} bytes: larger than a socket read`);
      this.#scratch.set(chunk, 0);
      // As the adapter does (attachment.ts, readView): reads of one length are the same view.
      if (this.#view?.length !== chunk.length) this.#view = this.#scratch.subarray(0, chunk.length);
      const was = borrowInput(true);
      try {
        driver.parse(this.#view);
      } finally {
        borrowInput(was);
      }
      this.overwrite(chunk.length);
    }
  }

  /** What the next read does to the buffer. */
  overwrite(length: number): void {
    const scratch = this.#scratch;
    for (let i = 0; i < length; i++) scratch[i] = (this.#random() * 256) | 0;
  }
}

