/**
 * A Node request's header fields read from `rawHeaders`, as node:http's
 * own `headers` would hold them, without making that object.
 *
 * node:http builds `message.headers` from `rawHeaders` the first time it
 * is read (a lookup of each name in a table of known fields, a string or
 * two per header), and `readUpgradeRequest` then copies it into a table of
 * its own. A request nobody asked for `headers` is read here in one pass
 * instead (and `Driver.isWebSocket` on Node reads its two fields from
 * here first: request-check.ts). Once anything has read or set `headers` (the application, a
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

// node:http's symbols for the `headers` object it has built (null until
// then) and for how many of `rawHeaders` it takes into it; looked up on the
// first request: undefined until then, null if this Node has not both.
interface HeaderSymbols {
  readonly built: symbol;
  readonly count: symbol;
}
let symbols: HeaderSymbols | null | undefined;

function findSymbols(message: IncomingMessage): HeaderSymbols | null {
  const own = Object.getOwnPropertySymbols(message);
  const built = own.find((symbol) => symbol.description === 'kHeaders');
  const count = own.find((symbol) => symbol.description === 'kHeadersCount');
  return built !== undefined && count !== undefined ? { built, count } : null;
}

/**
 * The part of `message.rawHeaders` node:http's `headers` is made from, if
 * it has not built `headers` yet (and this Node keeps both where this
 * module can tell), else null. node:http takes only the first
 * `server.maxHeadersCount` fields (2,000 names and values by default) into
 * `headers`; `rawHeaders` holds them all, and a field past the limit must
 * not count here when it does not count there.
 */
export function unreadRawHeaders(message: IncomingMessage): readonly string[] | null {
  if (symbols === undefined) symbols = findSymbols(message);
  if (symbols === null) return null;
  const fields = message as unknown as Record<symbol, unknown>;
  const count = fields[symbols.count];
  const raw = message.rawHeaders;
  if (fields[symbols.built] !== null || typeof count !== 'number' || !Array.isArray(raw)) return null;
  return count >= raw.length ? raw : raw.slice(0, count);
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
