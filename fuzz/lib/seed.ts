/**
 * Fuzz seeds that can always be replayed: a fresh seed is a non-negative
 * 31-bit integer, and `--seed` takes any 32-bit integer fast-check accepts
 * (negative ones included, as earlier runs printed them).
 *
 * @module
 */

/** A new seed from the clock and a random number: 0 to 2^31 - 1. */
export function freshSeed(now: number = Date.now(), random: number = Math.random()): number {
  // `| 0` alone turned the clock's bit 31 into a sign: negative for weeks at a time.
  return (now ^ Math.floor(random * 0x7fffffff)) & 0x7fffffff;
}

/** Reads a `--seed` value: an integer from -2^31 to 2^31 - 1; throws otherwise. */
export function parseSeed(text: string): number {
  const seed = Number(text);
  if (text.trim() === '' || !Number.isInteger(seed) || seed < -(2 ** 31) || seed > 2 ** 31 - 1) {
    throw new Error(`--seed needs an integer from -2147483648 to 2147483647, got ${JSON.stringify(text)}`);
  }
  return seed;
}
