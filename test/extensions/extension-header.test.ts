/**
 * The Sec-WebSocket-Extensions header (RFC 6455 §9.1), read and written by
 * lib/extensions/extension-header.ts. Extensions written for faye's
 * websocket-extensions expect its parameter values (true, numbers, arrays),
 * so valid headers are checked against that package's parser, which the
 * driver used until it read the header itself.
 */
import { createRequire } from 'node:module';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseExtensionHeader, serializeExtension } from '../../lib/extensions/extension-header.js';

/** The message of what `run` throws. */
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('did not throw');
}

const require = createRequire(import.meta.url);
const faye = require('websocket-extensions/lib/parser.js') as {
  parseHeader(header: string): { toArray(): Array<{ name: string; params: Record<string, unknown> }> };
  serializeParams(name: string, params: Record<string, unknown>): string;
};

const plain = (entries: ReturnType<typeof parseExtensionHeader>) => entries.map(({ name, params }) => ({ name, params: { ...params } }));

describe('parseExtensionHeader', () => {
  it('reads names and parameters: bare as true, decimals as numbers, repeats as arrays', () => {
    expect(plain(parseExtensionHeader('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo; a=1.5; a=-2; a=b'))).toEqual([
      { name: 'permessage-deflate', params: { client_max_window_bits: true, server_max_window_bits: 10 } },
      { name: 'x-foo', params: { a: [1.5, -2, 'b'] } },
    ]);
  });

  it('reads quoted values, unescaping quoted pairs, and keeps them strings unless decimal', () => {
    expect(plain(parseExtensionHeader('x; a="b c"; d="12"; e="q\\"r"; f="01"'))).toEqual([{ name: 'x', params: { a: 'b c', d: 12, e: 'q"r', f: '01' } }]);
  });

  it('allows spaces and tabs around separators', () => {
    expect(plain(parseExtensionHeader('a ;\tb = 1 ,  c'))).toEqual([
      { name: 'a', params: { b: 1 } },
      { name: 'c', params: {} },
    ]);
  });

  it('reads nothing from an absent or empty header', () => {
    expect(parseExtensionHeader(undefined)).toEqual([]);
    expect(parseExtensionHeader('')).toEqual([]);
  });

  it('ignores empty list elements (RFC 9110 §5.6.1.2: a sender that merged values leaves them)', () => {
    expect(parseExtensionHeader('x,').map((e) => e.name)).toEqual(['x']);
    expect(parseExtensionHeader(',x').map((e) => e.name)).toEqual(['x']);
    expect(parseExtensionHeader('x, , y; a=1,\t,').map((e) => e.name)).toEqual(['x', 'y']);
    expect(parseExtensionHeader(' , ,')).toEqual([]);
  });

  it.each(['x; ;', 'x;', 'x; a=', 'x; a="b', 'x; a="b\u0001"', 'x y', 'x; a=b=c', '"x"', 'x;; a', 'x; a="\\é"', 'x;, y'])(
    'throws a SyntaxError on %j',
    (header) => {
      expect(() => parseExtensionHeader(header)).toThrow(SyntaxError);
    },
  );

  it('a parameter named __proto__ changes no prototype, and is kept as an own parameter like any other (RFC 6455 §9.1: any token)', () => {
    const [entry] = parseExtensionHeader('x; __proto__; __proto__=1');
    expect(Object.getPrototypeOf(entry!.params)).toBe(Object.prototype);
    expect(Object.hasOwn(entry!.params, '__proto__')).toBe(true);
    expect(Object.entries(entry!.params)).toEqual([['__proto__', [true, 1]]]);
    expect(Object.entries(parseExtensionHeader('x; __proto__="a"; constructor')[0]!.params)).toEqual([['__proto__', 'a'], ['constructor', true]]);
    expect(serializeExtension('x', parseExtensionHeader('x; __proto__=2')[0]!.params)).toBe('x; __proto__=2');
  });

  it('a malformed header is not quoted in the error: the message holds none of the peer text (no control characters or unbounded text into logs)', () => {
    const hostile = `x; a="\u0007"; b=${'c'.repeat(100_000)}\r\nInjected: 1 \u202e "`;
    expect(() => parseExtensionHeader(hostile)).toThrow(SyntaxError);
    expect(messageOf(() => parseExtensionHeader(hostile))).toBe('Invalid Sec-WebSocket-Extensions header');
    expect(messageOf(() => parseExtensionHeader('x; a="\u0001\u202e'))).toBe('Invalid Sec-WebSocket-Extensions header');
  });

  // As test/hardening/anchors.test.ts: a backtracking or quadratic reader takes minutes on these.
  it('reads hostile 64 KiB headers at once (websocket-extensions CVE-2020-7662)', () => {
    expect(parseExtensionHeader(`x${'; a'.repeat(16_384)}`)[0]!.params['a']).toHaveLength(16_384);
    expect(() => parseExtensionHeader(`x; a="${'\\"'.repeat(32_768)}`)).toThrow(SyntaxError);
    expect(parseExtensionHeader(`${'x;a, '.repeat(13_107)}x`)).toHaveLength(13_108);
  });

  const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,8}$/);
  const value = fc.oneof(token, fc.integer({ min: -1000, max: 1000 }).map(String), fc.stringMatching(/^"[ !#-[\]-~]{0,8}"$/));
  const param = fc.tuple(token, fc.option(value, { nil: undefined })).map(([key, v]) => (v === undefined ? key : `${key}=${v}`));
  const space = fc.constantFrom('', ' ', '\t ');
  const extension = fc.tuple(token, fc.array(fc.tuple(space, param), { maxLength: 4 })).map(([name, params]) => name + params.map(([s, p]) => `${s};${s}${p}`).join(''));
  const header = fc.tuple(fc.array(extension, { minLength: 1, maxLength: 4 }), space).map(([list, s]) => list.join(`${s},${s}`));

  test.prop([header], { numRuns: 2_000 })('reads every valid header as websocket-extensions does', (text) => {
    expect(plain(parseExtensionHeader(text))).toEqual(faye.parseHeader(text).toArray());
  });
});

describe('serializeExtension', () => {
  it('writes flags bare, tokens and numbers plain, anything else quoted', () => {
    expect(serializeExtension('x', { a: true, b: 10, c: 'tok', d: 'two words', e: 'q"r', f: [1, true] })).toBe(
      'x; a; b=10; c=tok; d="two words"; e="q\\"r"; f=1; f',
    );
  });

  it('writes what parseExtensionHeader reads back', () => {
    const params = { a: true as const, b: 'two words', c: 'q"r\\s', d: [3, 'x'] };
    expect(parseExtensionHeader(serializeExtension('x', params))[0]!.params).toEqual(params);
  });

  const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,8}$/);
  const params = fc.dictionary(token, fc.oneof(fc.constant(true as const), fc.integer(), token, fc.array(token, { minLength: 1, maxLength: 3 })));

  test.prop([token, params], { numRuns: 1_000 })('writes tokens, numbers and flags as websocket-extensions does', (name, p) => {
    // Numeric-looking tokens are numbers to both once read back; compared as written.
    expect(serializeExtension(name, p)).toBe(faye.serializeParams(name, p));
  });
});
