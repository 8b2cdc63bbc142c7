/**
 * The `Sec-WebSocket-Extensions` header, read and written (RFC 6455 §9.1):
 *
 *     extension-list  = 1#extension
 *     extension       = extension-token *( ";" extension-param )
 *     extension-param = token [ "=" (token | quoted-string) ]
 *
 * Read in one linear pass (no backtracking pattern: websocket-extensions'
 * regular expressions were CVE-2020-7662). Values are given to extensions
 * as faye's framework gave them, which extensions written for it expect: a
 * bare parameter is `true`, a decimal number becomes a number, a name
 * repeated within one extension becomes an array.
 *
 * @module
 */
import { isToken, isTokenChar } from '../http/tokens.js';
import type { ExtensionParams, ExtensionParamValue } from './extension.js';

/** One extension named in the header, with its parameters. */
export interface ExtensionEntry {
  readonly name: string;
  readonly params: ExtensionParams;
}

const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * The extensions the header lists, in order; none for an absent or empty
 * header. Throws a SyntaxError if it does not follow the grammar.
 */
export function parseExtensionHeader(header: string | undefined): ExtensionEntry[] {
  const entries: ExtensionEntry[] = [];
  if (header === undefined || header === '') return entries;
  const end = header.length;
  let at = 0;
  // Where, not what: the header is the peer's text, of any length and with
  // any characters, and the message may reach a log.
  const invalid = () => new SyntaxError('Invalid Sec-WebSocket-Extensions header');
  // Optional spaces and tabs around separators (RFC 9110 §5.6.3).
  const skipSpace = () => {
    while (at < end && (header.charCodeAt(at) === 0x20 || header.charCodeAt(at) === 0x09)) at++;
  };
  const token = () => {
    const start = at;
    while (at < end && isTokenChar(header.charCodeAt(at))) at++;
    if (at === start) throw invalid();
    return header.slice(start, at);
  };
  // RFC 9110 §5.6.4: quoted-string, with quoted-pair unescaped.
  const quoted = () => {
    let value = '';
    for (at++; at < end; at++) {
      const c = header.charCodeAt(at);
      if (c === 0x22) {
        at++;
        return value;
      }
      if (c === 0x5c) at++;
      const char = header.charCodeAt(at);
      if (at === end || (char < 0x20 && char !== 0x09) || char === 0x7f || (c === 0x5c && char > 0x7f)) throw invalid();
      value += header[at];
    }
    throw invalid();
  };
  for (;;) {
    // Empty list elements are ignored (RFC 9110 §5.6.1.2), as a sender that merged values leaves them.
    while (at < end && (header[at] === ',' || header.charCodeAt(at) === 0x20 || header.charCodeAt(at) === 0x09)) at++;
    if (at === end) return entries;
    const name = token();
    // Made into the parameters object by Object.fromEntries, which defines
    // each key: a parameter named __proto__ is then an own one like any other
    // (assigning it would call Object.prototype's setter, which drops it), so
    // an extension sees, and can refuse, every parameter sent (RFC 7692
    // §7.1: an unknown one declines the offer).
    const params = new Map<string, ExtensionParamValue | ExtensionParamValue[]>();
    skipSpace();
    while (header[at] === ';') {
      at++;
      skipSpace();
      const key = token();
      skipSpace();
      let value: ExtensionParamValue = true;
      if (header[at] === '=') {
        at++;
        skipSpace();
        const text = header[at] === '"' ? quoted() : token();
        value = DECIMAL.test(text) ? Number(text) : text;
        skipSpace();
      }
      const earlier = params.get(key);
      if (Array.isArray(earlier)) earlier.push(value);
      else params.set(key, earlier === undefined ? value : [earlier, value]);
    }
    entries.push({ name, params: Object.fromEntries(params) });
    if (at === end) return entries;
    if (header[at] !== ',') throw invalid();
  }
}

/** One extension for the header: `name; key=value; flag`, a value quoted unless it is a number or a token. */
export function serializeExtension(name: string, params: ExtensionParams): string {
  let text = name;
  for (const key in params) {
    for (const value of [params[key]].flat()) {
      const plain = String(value);
      if (value === true) text += `; ${key}`;
      else text += `; ${key}=${typeof value === 'number' || isToken(plain) ? plain : `"${plain.replace(/["\\]/g, '\\$&')}"`}`;
    }
  }
  return text;
}
