/**
 * fast-check arbitraries shared by the property tests: messages as a user
 * sends them, and ways to cut the wire bytes.
 */
import fc from 'fast-check';
import type { Chunking } from '../helpers/index.js';
import { seededRandom } from '../helpers/index.js';

/** One thing a user sends: a text or binary message, or a ping. */
export type Outgoing =
  | { readonly kind: 'text'; readonly data: string }
  | { readonly kind: 'binary'; readonly data: Uint8Array }
  | { readonly kind: 'ping'; readonly data: Uint8Array };

/** Bytes of a given size, filled from a seed: big payloads without fast-check building arrays element by element. */
function patterned(size: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** Text of any Unicode: astral characters, NUL, BOM, combining marks; never lone surrogates (they cannot be sent as UTF-8). */
export const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 100 }) },
  {
    weight: 1,
    arbitrary: fc.record({ size: fc.integer({ min: 10_000, max: 60_000 }), seed: fc.integer() }).map(({ size, seed }) => patternedText(size, seed)),
  },
);

/** Long text from a seed: every length of UTF-8 sequence, astral characters included. */
function patternedText(size: number, seed: number): string {
  const random = seededRandom(seed);
  const ranges = [
    [0x20, 0x7f],
    [0x80, 0x800],
    [0x800, 0xd800],
    [0xe000, 0x10000],
    [0x10000, 0x110000],
  ] as const;
  const codePoints: number[] = [];
  for (let i = 0; i < size; i++) {
    const [low, high] = ranges[(random() * ranges.length) | 0]!;
    codePoints.push(low + ((random() * (high - low)) | 0));
  }
  let text = '';
  for (let i = 0; i < codePoints.length; i += 4096) text += String.fromCodePoint(...codePoints.slice(i, i + 4096));
  return text;
}

/** Binary of any size up to 300 KiB, small sizes and the length-encoding boundaries most often. */
export const anyBinary = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ size: fc.constantFrom(125, 126, 127, 65535, 65536, 65537), seed: fc.integer() })
      .map(({ size, seed }) => patterned(size, seed)),
  },
  {
    weight: 1,
    arbitrary: fc.record({ size: fc.integer({ min: 0, max: 300 * 1024 }), seed: fc.integer() }).map(({ size, seed }) => patterned(size, seed)),
  },
);

export const anyOutgoing: fc.Arbitrary<Outgoing> = fc.oneof(
  { weight: 3, arbitrary: anyText.map((data) => ({ kind: 'text' as const, data })) },
  { weight: 3, arbitrary: anyBinary.map((data) => ({ kind: 'binary' as const, data })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 125 }).map((data) => ({ kind: 'ping' as const, data })) },
);

/** A cut of the wire bytes: random splits from a seed, chunks of 1 byte up to whole. */
export const anyChunking: fc.Arbitrary<Chunking> = fc.oneof(
  fc.constant<Chunking>('whole'),
  fc.record({ seed: fc.integer(), maxChunk: fc.constantFrom(1, 2, 3, 13, 200, 4096, 100_000) }),
);

/** Total bytes of a list of messages. */
export function totalSize(messages: readonly Outgoing[]): number {
  return messages.reduce((sum, m) => sum + (typeof m.data === 'string' ? m.data.length * 4 : m.data.length), 0);
}
