/**
 * Fresh masking keys for client frames (RFC 6455 §5.3: "derived from a
 * strong source of entropy" and unpredictable per frame).
 *
 * Keys are cut from a pool filled by `crypto.getRandomValues` 4 KiB at a
 * time, so a client sending many small frames makes one call to the random
 * source per 1024 frames rather than one per frame.
 *
 * @module
 */

const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let offset = POOL_SIZE;

/** Writes a fresh 4-byte masking key into `target` at `at`. */
export function writeMaskKey(target: Uint8Array, at: number): void {
  if (offset === POOL_SIZE) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  target[at] = pool[offset]!;
  target[at + 1] = pool[offset + 1]!;
  target[at + 2] = pool[offset + 2]!;
  target[at + 3] = pool[offset + 3]!;
  // Each key is used once: wipe it from the pool.
  pool[offset] = pool[offset + 1] = pool[offset + 2] = pool[offset + 3] = 0;
  offset += 4;
}

/** Fills `target` with random bytes (Sec-WebSocket-Key nonces and the like). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}
