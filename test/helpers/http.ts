/**
 * Handshake heads built by hand, and a reader for the heads a driver
 * writes. The accept key is computed with node:crypto, independently of
 * lib/, so a test checks the driver against RFC 6455 §4.2.2, not against
 * itself.
 */
import { createHash } from 'node:crypto';

/** RFC 6455 §1.3's example key, and its accept value. */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Sec-WebSocket-Accept for a key (§4.2.2 item 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** Encodes head text one byte per character (heads are Latin-1). */
export function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** A header line value, `null` to leave a default header out, `undefined` to change nothing. */
export type HeaderOverrides = Record<string, string | null | undefined>;

export interface RequestSpec {
  method?: string;
  /** Request target. Default '/chat'. */
  target?: string;
  /** Default '1.1'. */
  httpVersion?: string;
  /** Default 'example.com'. */
  host?: string | null;
  /** Default {@link SAMPLE_KEY}. */
  key?: string | null;
  /** Default '13'. */
  version?: string | null;
  /** Sec-WebSocket-Protocol offers, joined with ", ". */
  protocols?: readonly string[];
  /**
   * Header lines to set, replace (same name, any case) or drop (`null`),
   * after the defaults `Host`, `Upgrade: websocket`, `Connection: Upgrade`,
   * `Sec-WebSocket-Key` and `Sec-WebSocket-Version`.
   */
  headers?: HeaderOverrides;
}

/** The text of a client's opening handshake (§4.1), ending with the blank line. */
export function requestHeadText(spec: RequestSpec = {}): string {
  const lines: Array<[string, string | null]> = [
    ['Host', spec.host === undefined ? 'example.com' : spec.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', spec.key === undefined ? SAMPLE_KEY : spec.key],
    ['Sec-WebSocket-Version', spec.version === undefined ? '13' : spec.version],
  ];
  if (spec.protocols !== undefined) lines.push(['Sec-WebSocket-Protocol', spec.protocols.join(', ')]);
  const head = `${spec.method ?? 'GET'} ${spec.target ?? '/chat'} HTTP/${spec.httpVersion ?? '1.1'}\r\n`;
  return head + headerLines(lines, spec.headers) + '\r\n';
}

/** {@link requestHeadText} as bytes. */
export function requestHead(spec: RequestSpec = {}): Uint8Array {
  return latin1Bytes(requestHeadText(spec));
}

export interface ResponseSpec {
  /** Default 101. */
  status?: number;
  /** Default 'Switching Protocols'. */
  statusText?: string;
  /** The client's key: the Accept header is computed from it. */
  key: string;
  /** Overrides the computed accept value (or drops it with null). */
  accept?: string | null;
  /** Sec-WebSocket-Protocol value. */
  protocol?: string;
  /**
   * Header lines to set, replace or drop (`null`), after the defaults
   * `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept`.
   */
  headers?: HeaderOverrides;
}

/** The text of a server's 101 response (§4.2.2), ending with the blank line. */
export function responseHeadText(spec: ResponseSpec): string {
  const lines: Array<[string, string | null]> = [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Accept', spec.accept === undefined ? acceptFor(spec.key) : spec.accept],
  ];
  if (spec.protocol !== undefined) lines.push(['Sec-WebSocket-Protocol', spec.protocol]);
  const status = spec.status ?? 101;
  const head = `HTTP/1.1 ${status} ${spec.statusText ?? (status === 101 ? 'Switching Protocols' : 'Nope')}\r\n`;
  return head + headerLines(lines, spec.headers) + '\r\n';
}

/** {@link responseHeadText} as bytes. */
export function responseHead(spec: ResponseSpec): Uint8Array {
  return latin1Bytes(responseHeadText(spec));
}

function headerLines(defaults: Array<[string, string | null]>, overrides: HeaderOverrides = {}): string {
  const lines = defaults.slice();
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const index = lines.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (index >= 0) lines[index] = [name, value];
    else lines.push([name, value]);
  }
  return lines
    .filter((line): line is [string, string] => line[1] !== null)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
}

/** An HTTP head a driver wrote, read back. */
export interface ParsedHead {
  /** The first line, e.g. 'HTTP/1.1 101 Switching Protocols' or 'GET /chat HTTP/1.1'. */
  startLine: string;
  /** Response status, or NaN for a request. */
  status: number;
  /** Headers by lower-case name; repeated ones joined with ", ". */
  headers: Record<string, string>;
  /** Header lines in order, as written. */
  rawHeaders: Array<[string, string]>;
  /** Bytes after the blank line (a body, or frames). */
  rest: Uint8Array;
}

/** Reads an HTTP head from the start of `bytes`; throws if there is none. */
export function parseHead(bytes: Uint8Array): ParsedHead {
  let end = -1;
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) throw new Error('no complete HTTP head in the bytes written');
  const text = String.fromCharCode(...bytes.subarray(0, end - 4));
  const [startLine = '', ...lines] = text.split('\r\n');
  const headers: Record<string, string> = {};
  const rawHeaders: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const status = startLine.startsWith('HTTP/') ? Number(startLine.split(' ')[1]) : NaN;
  return { startLine, status, headers, rawHeaders, rest: bytes.slice(end) };
}
