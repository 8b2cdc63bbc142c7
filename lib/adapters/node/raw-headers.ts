/**
 * A Node request's header fields read from `rawHeaders`, as node:http's
 * own `headers` would hold them, without making that object.
 *
 * node:http builds `message.headers` from `rawHeaders` the first time it
 * is read (a lookup of each name in a table of known fields, a string or
 * two per header), and `readUpgradeRequest` then copies it into a table of
 * its own. A request nobody asked for `headers` is read here in one pass
 * instead. Once anything has read or set `headers` (the application, a
 * middleware that changed it), that object is what counts, and this
 * module is not used.
 *
 * The rules are node:http's documented ones for `message.headers`
 * (Node 20): names lower-cased; a repeated `age`, `authorization`,
 * `content-length`, `content-type`, `etag`, `expires`, `from`, `host`,
 * `if-modified-since`, `if-unmodified-since`, `last-modified`,
 * `location`, `max-forwards`, `proxy-authorization`, `referer`,
 * `retry-after`, `server` or `user-agent` is dropped (the first is kept)
 * unless the server joins duplicates (`joinDuplicateHeaders`); repeated
 * `cookie` values are joined with `; `; any other repeated header's
 * values with `, ` (`set-cookie`, an array there, is joined with `, ` as
 * `readUpgradeRequest` joins that array).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { HeaderFields } from '../../http/head-parser.js';

// Headers node:http keeps the first of (unless told to join duplicates).
const FIRST_ONLY = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

// node:http's symbol for the `headers` object it has built (null until then);
// looked up on the first request: undefined until then, null if absent.
let builtHeaders: symbol | null | undefined;

/**
 * `message.rawHeaders` if node:http has not built `message.headers` yet
 * (and this Node keeps it where this module can tell), else null.
 */
export function unreadRawHeaders(message: IncomingMessage): readonly string[] | null {
  if (builtHeaders === undefined) {
    builtHeaders = Object.getOwnPropertySymbols(message).find((symbol) => symbol.description === 'kHeaders') ?? null;
  }
  if (builtHeaders === null || (message as unknown as Record<symbol, unknown>)[builtHeaders] !== null) return null;
  const raw = message.rawHeaders;
  return Array.isArray(raw) ? raw : null;
}

/**
 * Adds the fields of `raw` (name, value, name, value, …) to `headers`, as
 * node:http's `headers` would hold them (see the module comment), each
 * value passed through `shared` (common values become shared strings).
 */
export function addRawHeaders(headers: HeaderFields, raw: readonly string[], joinDuplicates: boolean, shared: (value: string) => string): void {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const had = headers[name];
    if (had === undefined) headers[name] = shared(value);
    else if (name === 'cookie') headers[name] = `${had}; ${value}`;
    else if (joinDuplicates || !FIRST_ONLY.has(name)) headers[name] = `${had}, ${value}`;
  }
}
