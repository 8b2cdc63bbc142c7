/**
 * Borrowed input: the chunk being parsed belongs to the caller, who will
 * write over it as soon as `parse()` returns.
 *
 * `parse()` normally takes ownership of its chunk, so the driver keeps
 * views of it (a binary message, the fragments of one not yet complete,
 * input held while paused) instead of copies. The Node adapter reads
 * sockets into one buffer it reuses for every read (no fresh ArrayBuffer
 * per read, which V8 counts against its heap limit: bench/analysis.md,
 * "Reads into a reused buffer, session 7"); around each such `parse()` it
 * sets this flag, and then every byte kept past the call is copied. Text
 * decoded at once, and frames gathered whole (unmasked into memory of
 * their own), need no copy.
 *
 * A flag for the process rather than per driver: parsing is synchronous,
 * and a `parse()` nested inside a borrowed one at worst copies more than
 * it needs to.
 *
 * @module
 */

/** True while the chunk being parsed is borrowed: keep no view of it. */
export let inputBorrowed = false;

/** Sets {@link inputBorrowed}; returns what it was, to put back after the call. */
export function borrowInput(borrowed: boolean): boolean {
  const was = inputBorrowed;
  inputBorrowed = borrowed;
  return was;
}

/**
 * How a whole text message kept as bytes (`decodeText: false`) is copied
 * out of borrowed input: an exact copy, unless an embedder sets another
 * way with {@link useTextCopies} (the Node adapter carves such messages
 * out of a shared slab: lib/adapters/node/text-slab.ts).
 */
export let copyText = (bytes: Uint8Array): Uint8Array => bytes.slice();

/**
 * Sets {@link copyText}. `copy` returns a `Uint8Array` holding the same
 * bytes, of memory nothing else writes.
 * @internal
 */
export function useTextCopies(copy: (bytes: Uint8Array) => Uint8Array): void {
  copyText = copy;
}
