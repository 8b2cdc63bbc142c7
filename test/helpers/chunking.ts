/**
 * Cutting a byte string into chunks, and feeding them to a driver.
 *
 * Every parser test runs at least with 'whole' and 'bytewise' (see
 * {@link BASIC_CHUNKINGS}); properties use seeded random splits.
 */

/**
 * How bytes are cut before `parse()`:
 * - 'whole': one chunk;
 * - 'bytewise': one byte per chunk;
 * - `{ seed, maxChunk? }`: random cut points from a seeded generator, so a
 *   failure replays exactly; chunk sizes 1..maxChunk (default 64).
 * - `{ sizes }`: explicit chunk sizes, cycled.
 */
export type Chunking =
  | 'whole'
  | 'bytewise'
  | { readonly seed: number; readonly maxChunk?: number }
  | { readonly sizes: readonly number[] };

/** The chunkings every parser test runs with. */
export const BASIC_CHUNKINGS: readonly Chunking[] = ['whole', 'bytewise'];

/** A short label for test names. */
export function chunkingName(chunking: Chunking): string {
  if (typeof chunking === 'string') return chunking === 'whole' ? 'whole' : 'byte by byte';
  if ('seed' in chunking) return `random splits (seed ${chunking.seed})`;
  return `chunks of ${chunking.sizes.join('/')}`;
}

/** mulberry32: a tiny seeded PRNG, enough to pick cut points reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` into chunks (copies, so the caller's array is never touched). */
export function split(bytes: Uint8Array, chunking: Chunking): Uint8Array[] {
  if (bytes.length === 0) return [];
  if (chunking === 'whole') return [bytes.slice()];
  const chunks: Uint8Array[] = [];
  if (chunking === 'bytewise') {
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.slice(i, i + 1));
    return chunks;
  }
  if ('sizes' in chunking) {
    let i = 0;
    for (let at = 0; at < bytes.length; i++) {
      const size = Math.max(1, chunking.sizes[i % chunking.sizes.length]!);
      chunks.push(bytes.slice(at, at + size));
      at += size;
    }
    return chunks;
  }
  const random = seededRandom(chunking.seed);
  const max = chunking.maxChunk ?? 64;
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * max);
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

/** Anything with `parse(bytes)`. */
export interface Parser {
  parse(bytes: Uint8Array): void;
}

/**
 * Feeds `bytes` to `driver.parse()` cut as `chunking` says. Each chunk is a
 * fresh copy: the driver owns what it is given (it unmasks in place).
 * Exceptions from `parse()` propagate.
 */
export function feed(driver: Parser, bytes: Uint8Array, chunking: Chunking = 'whole'): void {
  for (const chunk of split(bytes, chunking)) driver.parse(chunk);
}
