/**
 * TextAssembler: text in pieces, large pieces decoded natively as they
 * arrive, small ones validated in JavaScript and batched. It must agree
 * with a fatal whole-message TextDecoder however the bytes are cut, fail at
 * the piece that makes the text invalid, and make a bounded number of
 * decoder calls and strings however finely the text is cut.
 */
import { fc, test } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { TextAssembler } from '../../lib/frame/text-assembler.js';
import { Driver } from '../../lib/index.js';
import { clientFrame, concat, requestHead } from '../helpers/index.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function reference(bytes: Uint8Array): string | null {
  try {
    return fatal.decode(bytes);
  } catch {
    return null;
  }
}

/** Feeds `bytes` cut at `cuts` (sorted offsets); the text, or null at the first failing push. */
function assemble(bytes: Uint8Array, sizes: readonly number[]): string | null {
  const assembler = new TextAssembler();
  let at = 0;
  let turn = 0;
  while (at < bytes.length) {
    const end = Math.min(bytes.length, at + sizes[turn++ % sizes.length]!);
    if (!assembler.push(bytes.slice(at, end))) return null;
    at = end;
  }
  return assembler.finish();
}

/** Text of 1-4 byte characters with the odd broken byte, long enough to cross the large-piece size. */
const text = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[ -~]{1,400}$/).map((s) => Array.from(new TextEncoder().encode(s))) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => Array.from(new TextEncoder().encode(s))) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }) },
    ),
    { maxLength: 30 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1000, max: 3000 })), { minLength: 1, maxLength: 6 });

describe('TextAssembler agrees with a fatal TextDecoder', () => {
  test.prop([text, sizes])('whatever the cut, small and large pieces mixed', (bytes, cut) => {
    expect(assemble(bytes, cut)).toBe(reference(bytes));
  });

  test.prop([text])('fed byte by byte', (bytes) => {
    expect(assemble(bytes, [1])).toBe(reference(bytes));
  });

  it('joins characters split between two large pieces, at every split point', () => {
    const bytes = new TextEncoder().encode('a'.repeat(1500) + '€😀é' + 'b'.repeat(1500));
    for (let cut = 1495; cut <= 1515; cut++) {
      expect(assemble(bytes, [cut, bytes.length])).toBe(reference(bytes));
    }
  });

  it('can be reused after a message ends and after a failure', () => {
    const assembler = new TextAssembler();
    expect(assembler.push(Uint8Array.of(0x61, 0xff))).toBe(false);
    expect(assembler.push(new TextEncoder().encode('ok'))).toBe(true);
    expect(assembler.finish()).toBe('ok');
    expect(assembler.length).toBe(0);
  });
});

describe('TextAssembler fails at the piece that breaks the text', () => {
  it('a bad byte inside a large piece fails that push', () => {
    const assembler = new TextAssembler();
    const piece = new Uint8Array(4000).fill(0x61);
    piece[2000] = 0xff;
    expect(assembler.push(piece)).toBe(false);
  });

  it('a large piece ending in a byte that cannot begin a character fails that push', () => {
    const assembler = new TextAssembler();
    const piece = new Uint8Array(4000).fill(0x61);
    piece[3999] = 0xf8;
    expect(assembler.push(piece)).toBe(false);
  });

  it('a large piece ending in a wrong second byte (E0 80) fails that push, not the next', () => {
    const assembler = new TextAssembler();
    const piece = new Uint8Array(4000).fill(0x61);
    piece[3998] = 0xe0;
    piece[3999] = 0x80;
    expect(assembler.push(piece)).toBe(false);
  });

  it('a large piece ending in a valid partial character waits for the next piece', () => {
    const assembler = new TextAssembler();
    const piece = new Uint8Array(4000).fill(0x61);
    piece[3998] = 0xe2;
    piece[3999] = 0x82;
    expect(assembler.push(piece)).toBe(true);
    expect(assembler.push(Uint8Array.of(0xac))).toBe(true);
    expect(assembler.finish()).toBe('a'.repeat(3998) + '€');
  });

  it('a message ending inside a character fails at the end', () => {
    const assembler = new TextAssembler();
    expect(assembler.push(Uint8Array.of(0x61, 0xf0, 0x9f))).toBe(true);
    expect(assembler.finish()).toBe(null);
  });
});

describe('TextAssembler work stays bounded however the text is cut', () => {
  const originalDecode = TextDecoder.prototype.decode;
  let decodes = 0;
  afterEach(() => {
    TextDecoder.prototype.decode = originalDecode;
  });
  function countDecodes(): void {
    decodes = 0;
    TextDecoder.prototype.decode = function (this: TextDecoder, input?: AllowSharedBufferSource, options?: TextDecodeOptions) {
      decodes++;
      return originalDecode.call(this, input, options);
    } as typeof originalDecode;
  }

  it('1-byte pieces: one decoder call per 16 KiB, not one per piece', () => {
    countDecodes();
    const assembler = new TextAssembler();
    const size = 256 * 1024;
    for (let i = 0; i < size; i++) expect(assembler.push(Uint8Array.of(0x61 + (i % 26)))).toBe(true);
    expect(assembler.finish()!.length).toBe(size);
    expect(decodes).toBeLessThanOrEqual(size / (16 * 1024) + 1);
  });

  it('a million 1-byte fragments reach the driver as one message, decoded in batches', () => {
    const driver = Driver.server({ write: () => {} }, { maxLength: 1 << 21 });
    driver.parse(requestHead());
    driver.start();
    const count = 1 << 20;
    const fragment = clientFrame(0x0, 'x', { fin: false });
    const batch = concat(...Array.from({ length: 4096 }, () => fragment));
    const received: string[] = [];
    driver.on('message', (event) => received.push(event.data as string));
    countDecodes();
    driver.parse(clientFrame(0x1, 'x', { fin: false }));
    for (let sent = 1; sent < count - 1; sent += 4096) driver.parse(batch.slice(0, Math.min(4096, count - 1 - sent) * fragment.length));
    driver.parse(clientFrame(0x0, 'x'));
    expect(received.map((m) => m.length)).toEqual([count]);
    expect(decodes).toBeLessThanOrEqual(count / (16 * 1024) + 2);
  });
});
