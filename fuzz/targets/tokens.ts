/**
 * Fuzz target `tokens`: the header-value tokenisers of lib/http/tokens.ts
 * and the subprotocol choice built on them, fed arbitrary strings.
 *
 * Each result is compared with a plain reference (String.split on a comma,
 * a character-class test), and each function's cost is counted (see
 * fuzz/lib/counting-string.ts) on the input's own characters repeated n and
 * 16n times: it must grow about 16-fold, never 256-fold as the quadratic
 * split of ws CVE-2021-32640 did.
 */
import fc from 'fast-check';
import { hasToken, isToken, isValidHeaderValue, splitHeaderList } from '../../lib/http/tokens.js';
import { selectSubprotocol } from '../../lib/handshake/server-handshake.js';
import { checkLinear } from '../lib/counting-string.js';
import { ensure } from '../lib/invariants.js';
import type { FuzzTarget } from './target.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The reference: split on commas, trim spaces and tabs, drop empty elements. */
export function referenceList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.replace(/^[ \t]+/, '').replace(/[ \t]+$/, ''))
    .filter((item) => item.length > 0);
}

/** Characters that matter to header lists, and everything else now and then. */
const headerChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(' ', '\t', ',', ';', '=', '"', '\\', 'a', 'B', '-', 'z', '\r', '\n', '\0') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

export interface TokenCase {
  value: string;
  token: string;
  supported: string[];
  /** Check the cost of each function on this input (a slower step; every few inputs). */
  checkCost: boolean;
}

export const tokenCase: fc.Arbitrary<TokenCase> = fc.record({
  value: fc.string({ unit: headerChar, maxLength: 60 }),
  token: fc.oneof(fc.constantFrom('upgrade', 'websocket', 'Upgrade', 'a', 'a b'), fc.string({ maxLength: 6 })),
  supported: fc.array(fc.oneof(fc.constantFrom('chat', 'a', 'B', 'x.y'), fc.stringMatching(/^[a-z.]{1,4}$/)), { maxLength: 4 }),
  checkCost: fc.boolean(),
});

const costed: Array<[string, (value: string) => unknown]> = [
  ['splitHeaderList', splitHeaderList],
  ['hasToken', (v) => hasToken(v, 'upgrade')],
  ['isToken', isToken],
  ['isValidHeaderValue', isValidHeaderValue],
  ['selectSubprotocol', (v) => selectSubprotocol(v, ['chat', 'superchat'])],
];

export function checkTokenCase(c: TokenCase): void {
  const { value, token, supported } = c;
  const list = splitHeaderList(value);
  const reference = referenceList(value);
  ensure(JSON.stringify(list) === JSON.stringify(reference), `splitHeaderList(${JSON.stringify(value)}) = ${JSON.stringify(list)}, reference ${JSON.stringify(reference)}`);
  ensure(
    hasToken(value, token) === reference.some((item) => item.toLowerCase() === token.toLowerCase()),
    `hasToken(${JSON.stringify(value)}, ${JSON.stringify(token)})`,
  );
  ensure(hasToken(undefined, token) === false, 'hasToken(undefined) must be false');
  ensure(isToken(value) === TOKEN.test(value), `isToken(${JSON.stringify(value)})`);
  ensure(isValidHeaderValue(value) === FIELD_VALUE.test(value), `isValidHeaderValue(${JSON.stringify(value)})`);
  const chosen = selectSubprotocol(value, supported);
  const expected = supported.length === 0 ? null : (reference.find((p) => supported.includes(p)) ?? null);
  ensure(chosen === expected, `selectSubprotocol(${JSON.stringify(value)}, ${JSON.stringify(supported)}) = ${chosen}, expected ${expected}`);
  if (c.checkCost && value.length > 0) {
    for (const [name, fn] of costed) {
      const problem = checkLinear(value, 64, fn);
      ensure(problem === null, `${name} on ${JSON.stringify(value)} repeated: ${problem}`);
    }
  }
}

export const tokensTarget: FuzzTarget<TokenCase> = {
  name: 'tokens',
  description: 'header-value tokenisers (lists, tokens, field values, subprotocols): reference results and linear cost',
  arbitrary: tokenCase,
  check: checkTokenCase,
};
