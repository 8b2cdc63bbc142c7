/**
 * Incremental parser for HTTP/1.x heads: a request (server side) or a
 * response (client side, proxy side), with the limits designed in.
 *
 * Bytes go in as they arrive; the parser finds the blank line that ends the
 * head by scanning each byte once, so a head split at any byte, or trickled
 * one byte at a time, costs linear time and at most `maxHeadSize` bytes of
 * memory. The bytes that follow the head in the same chunk are handed back
 * untouched: they belong to the next protocol (frames, a hixie-76 key, a
 * tunnelled stream).
 *
 * Strict where leniency has been a smuggling vector (RFC 9112): lines end in
 * CRLF, no obsolete line folding, no whitespace before a header's colon, no
 * control characters in values.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import { isToken, isTokenChar } from './tokens.js';

/**
 * Header fields by lower-case name. Repeated fields are joined with ", "
 * (RFC 9110 §5.3). The object has no prototype, so a header named
 * `__proto__` or `constructor` is just a header.
 */
export type HeaderFields = Record<string, string>;

/** A parsed request line and headers. */
export interface RequestHead {
  readonly method: string;
  /** The request-target as sent: usually a path with an optional query. */
  readonly target: string;
  /** `'1.1'`, `'1.0'`, … */
  readonly httpVersion: string;
  readonly headers: HeaderFields;
  /** Header lines in order, names as sent. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

/** A parsed status line and headers. */
export interface ResponseHead {
  readonly httpVersion: string;
  readonly statusCode: number;
  readonly statusText: string;
  readonly headers: HeaderFields;
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

/** Limits on a head, in bytes and lines. */
export interface HeadLimits {
  readonly maxHeadSize: number;
  readonly maxHeaders: number;
}

/** What {@link HeadParser.push} found. */
export type HeadResult<H> =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'complete'; readonly head: H; readonly rest: Uint8Array }
  | { readonly kind: 'error'; readonly error: ProtocolError };

const CR = 0x0d;
const LF = 0x0a;
const INCOMPLETE = Object.freeze({ kind: 'incomplete' as const });

// The prototype of every header table: it has no properties and no
// prototype, so a header named `constructor` or `__proto__` is an own
// field like any other. Tables made with `new` from it keep V8's fast
// layout, where `Object.create(null)` makes a dictionary (about 250 bytes
// more for each connection that keeps its request's headers).
function HeaderTable(): void {}
HeaderTable.prototype = Object.create(null) as object;

/** Creates a header table whose prototype chain holds no properties. */
export function createHeaderFields(): HeaderFields {
  return new (HeaderTable as unknown as new () => HeaderFields)();
}

abstract class HeadParser<H> {
  readonly #limits: HeadLimits;
  // The head so far, copied into one buffer that grows by doubling up to
  // maxHeadSize: a head trickled in one byte per chunk then holds one
  // buffer, not one small array (and its overhead) per byte.
  #buffer: Uint8Array | null = null;
  #size = 0;
  // How much of "\r\n\r\n" the bytes seen so far end with.
  #matched = 0;
  #done = false;

  constructor(limits: HeadLimits) {
    this.#limits = limits;
  }

  /** Feeds bytes; returns the head once its blank line has arrived. */
  push(chunk: Uint8Array): HeadResult<H> {
    if (this.#done) throw new Error('HeadParser: head already complete');
    let matched = this.#matched;
    let end = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === (matched & 1 ? LF : CR)) {
        if (++matched === 4) {
          end = i + 1;
          break;
        }
      } else {
        matched = byte === CR ? 1 : 0;
      }
    }
    const taken = end < 0 ? chunk.length : end;
    if (this.#size + taken > this.#limits.maxHeadSize) {
      this.#done = true;
      return headError('HTTP_HEAD_TOO_LARGE', `HTTP head is larger than maxHeadSize (${this.#limits.maxHeadSize} bytes)`);
    }
    // The caller may reuse its chunk; keep a copy of what we hold on to.
    if (end < 0) {
      this.#keep(chunk);
      this.#matched = matched;
      return INCOMPLETE;
    }
    this.#done = true;
    // A head that arrived in one chunk is read from it directly.
    let text: string;
    if (this.#size === 0) {
      text = latin1([chunk.subarray(0, end)], end);
    } else {
      this.#keep(chunk.subarray(0, end));
      text = latin1([this.#buffer!.subarray(0, this.#size)], this.#size);
    }
    this.#buffer = null;
    const lines = splitLines(text);
    if (lines === null) return headError('HTTP_MALFORMED', 'HTTP head has a bare CR or LF');
    const headerCount = lines.length - 1;
    if (headerCount > this.#limits.maxHeaders) {
      return headError('HTTP_TOO_MANY_HEADERS', `HTTP head has more than maxHeaders (${this.#limits.maxHeaders}) header lines`);
    }
    const fields = parseHeaderLines(lines);
    if (typeof fields === 'string') return headError('HTTP_MALFORMED', fields);
    const head = this.parseStartLine(lines[0]!, fields);
    if (typeof head === 'string') return headError('HTTP_MALFORMED', head);
    return { kind: 'complete', head, rest: chunk.subarray(end) };
  }

  /** Bytes held for a head not yet complete; at most `maxHeadSize`. */
  get retainedBytes(): number {
    return this.#buffer?.length ?? 0;
  }

  /** Appends `bytes` to the held head; the caller has checked maxHeadSize. */
  #keep(bytes: Uint8Array): void {
    const needed = this.#size + bytes.length;
    let buffer = this.#buffer;
    if (buffer === null || buffer.length < needed) {
      const capacity = Math.min(Math.max(needed, 2 * (buffer?.length ?? 128)), this.#limits.maxHeadSize);
      const grown = new Uint8Array(capacity);
      if (buffer !== null) grown.set(buffer.subarray(0, this.#size));
      this.#buffer = buffer = grown;
    }
    buffer.set(bytes, this.#size);
    this.#size = needed;
  }

  protected abstract parseStartLine(line: string, fields: ParsedFields): H | string;
}

interface ParsedFields {
  readonly headers: HeaderFields;
  readonly rawHeaders: Array<readonly [string, string]>;
}

/** Parses a request head: `GET /path HTTP/1.1` and headers. */
export class RequestHeadParser extends HeadParser<RequestHead> {
  protected parseStartLine(line: string, fields: ParsedFields): RequestHead | string {
    const first = line.indexOf(' ');
    const last = line.lastIndexOf(' ');
    if (first <= 0 || last === first) return `malformed request line ${JSON.stringify(line)}`;
    const method = line.slice(0, first);
    const target = line.slice(first + 1, last);
    const httpVersion = parseVersion(line.slice(last + 1));
    if (!isToken(method)) return `malformed request method ${JSON.stringify(method)}`;
    if (target.length === 0 || !isVisible(target)) {
      return `malformed request target ${JSON.stringify(target)}`;
    }
    if (httpVersion === null) return `malformed HTTP version in ${JSON.stringify(line)}`;
    // RFC 9112 §3.2: a request with more than one Host line MUST get a 400;
    // joined, two hosts would read as one odd name.
    if (fields.rawHeaders.filter(([name]) => name.toLowerCase() === 'host').length > 1) {
      return 'more than one Host header';
    }
    return { method, target, httpVersion, ...fields };
  }
}

/** Parses a response head: `HTTP/1.1 101 Switching Protocols` and headers. */
export class ResponseHeadParser extends HeadParser<ResponseHead> {
  protected parseStartLine(line: string, fields: ParsedFields): ResponseHead | string {
    const first = line.indexOf(' ');
    const httpVersion = first > 0 ? parseVersion(line.slice(0, first)) : null;
    const code = line.slice(first + 1, first + 4);
    const after = line.charCodeAt(first + 4);
    if (
      httpVersion === null ||
      !/^[1-5][0-9][0-9]$/.test(code) ||
      !(Number.isNaN(after) || after === 0x20)
    ) {
      return `malformed status line ${JSON.stringify(line)}`;
    }
    return {
      httpVersion,
      statusCode: Number(code),
      statusText: line.slice(first + 5),
      ...fields,
    };
  }
}

function headError(code: 'HTTP_HEAD_TOO_LARGE' | 'HTTP_TOO_MANY_HEADERS' | 'HTTP_MALFORMED', detail: string): HeadResult<never> {
  return { kind: 'error', error: protocolError(code, { detail }) };
}

function latin1(chunks: readonly Uint8Array[], size: number): string {
  let text = '';
  for (const chunk of chunks) {
    // Slices keep fromCharCode.apply under engines' argument limits.
    for (let i = 0; i < chunk.length; i += 4096) {
      text += String.fromCharCode.apply(null, chunk.subarray(i, i + 4096) as unknown as number[]);
    }
  }
  return text.length === size ? text : text.slice(0, size);
}

/** Splits the head (ending in CRLF CRLF) into lines; null if a CR or LF stands alone. */
function splitLines(text: string): string[] | null {
  const lines: string[] = [];
  let start = 0;
  // The head ends in "\r\n\r\n": the last line is the empty one before the end.
  const stop = text.length - 2;
  while (start < stop) {
    const end = text.indexOf('\r\n', start);
    const line = text.slice(start, end);
    if (line.includes('\r') || line.includes('\n')) return null;
    lines.push(line);
    start = end + 2;
  }
  return lines;
}

function parseHeaderLines(lines: readonly string[]): ParsedFields | string {
  const headers = createHeaderFields();
  const rawHeaders: Array<readonly [string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is rejected;
    // §5.1: no whitespace between the field name and the colon.
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    for (let j = 0; j < colon; j++) {
      if (!isTokenChar(line.charCodeAt(j))) {
        return `malformed header name ${JSON.stringify(line.slice(0, colon))}`;
      }
    }
    const name = line.slice(0, colon);
    let from = colon + 1;
    let to = line.length;
    while (from < to && isOws(line.charCodeAt(from))) from++;
    while (to > from && isOws(line.charCodeAt(to - 1))) to--;
    const value = line.slice(from, to);
    for (let j = 0; j < value.length; j++) {
      const c = value.charCodeAt(j);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        return `control character in header ${JSON.stringify(name)}`;
      }
    }
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    const previous = headers[key];
    headers[key] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return { headers, rawHeaders };
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function isVisible(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

function parseVersion(text: string): string | null {
  // HTTP-version = "HTTP/" DIGIT "." DIGIT
  if (text.length !== 8 || !text.startsWith('HTTP/') || text[6] !== '.') return null;
  const major = text.charCodeAt(5);
  const minor = text.charCodeAt(7);
  if (major < 0x30 || major > 0x39 || minor < 0x30 || minor > 0x39) return null;
  return text.slice(5);
}
