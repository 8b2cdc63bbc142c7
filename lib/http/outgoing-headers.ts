/**
 * Extra headers an application adds to a handshake with `setHeader()`.
 *
 * Names and values are checked when set, so no CR, LF or NUL can inject a
 * header or end the head early; headers the driver negotiates itself
 * cannot be overridden, because a wrong value would silently break the
 * handshake.
 *
 * @module
 */
import { isToken, isValidHeaderValue } from './tokens.js';

const MANAGED = new Set([
  'upgrade',
  'connection',
  'content-length',
  'transfer-encoding',
  'sec-websocket-accept',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

const NO_LINES: ReadonlyArray<readonly [string, string]> = Object.freeze([]);

/** An ordered list of validated header lines. */
export class OutgoingHeaders {
  // Made on the first header: most connections set none.
  #lines: Array<[string, string]> | null = null;

  /** Sets (or replaces) a header; throws on an invalid or managed one. */
  set(name: string, value: string | number): void {
    if (typeof name !== 'string' || !isToken(name)) {
      throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    }
    const text = String(value);
    if (!isValidHeaderValue(text)) {
      throw new TypeError(`invalid value for header ${name}: CR, LF, NUL and other control characters are not allowed`);
    }
    const key = name.toLowerCase();
    if (MANAGED.has(key)) throw new TypeError(`header ${name} is set by the driver`);
    const lines = (this.#lines ??= []);
    const existing = lines.findIndex(([n]) => n.toLowerCase() === key);
    if (existing >= 0) lines[existing] = [name, text];
    else lines.push([name, text]);
  }

  /** True if a header of this name was set. */
  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#lines?.some(([n]) => n.toLowerCase() === key) ?? false;
  }

  /** The headers as [name, value] pairs, in the order set (for HTTP/2, which sends no lines). */
  entries(): ReadonlyArray<readonly [string, string]> {
    return this.#lines ?? NO_LINES;
  }

  /** The header lines, each ending in CRLF. */
  serialize(): string {
    let text = '';
    for (const [name, value] of this.#lines ?? NO_LINES) text += `${name}: ${value}\r\n`;
    return text;
  }
}
