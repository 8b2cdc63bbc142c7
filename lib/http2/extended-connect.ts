/**
 * The WebSocket opening handshake over HTTP/2 (RFC 8441): an extended
 * CONNECT request (`:method` CONNECT, `:protocol` websocket) and its 2xx
 * response, as header lists. This module holds the header rules only; the
 * framing drivers (lib/hybi/framing-driver.ts) negotiate through it, and
 * whatever HTTP/2 implementation carries the stream sends and receives
 * the headers.
 *
 * What changes from RFC 6455's HTTP/1.1 handshake (RFC 8441 §5):
 * - the request is CONNECT with `:protocol = websocket`; `:scheme` is
 *   `https` for wss: and `http` for ws:, `:path` and `:authority` carry the
 *   rest of the URI;
 * - there is no `Upgrade` or `Connection` (HTTP/2 forbids them) and no
 *   `Sec-WebSocket-Key`/`Sec-WebSocket-Accept`: `:protocol` supersedes them;
 * - `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` and `Origin`
 *   keep their RFC 6455 meaning;
 * - success is 200 (any 2xx, as for every CONNECT, RFC 9110 §9.3.6).
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import { createHeaderFields, type HeaderFields, type HeadLimits } from '../http/head-parser.js';
import type { OutgoingHeaders } from '../http/outgoing-headers.js';
import type { HandshakeRequest } from '../http/request.js';
import { splitHeaderList } from '../http/tokens.js';
import { checkChosenSubprotocol, type WebSocketUrl } from '../handshake/client-handshake.js';

/**
 * HTTP/2 header fields as HTTP/2 libraries hand them over: names (any
 * case; HTTP/2 sends them lower-case), pseudo-headers included, a value
 * that is a list for a repeated field, and `:status` possibly a number
 * (Node's `IncomingHttpHeaders` is one).
 */
export type Http2HeaderInput = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** The one WebSocket version RFC 8441 bootstraps. */
export const WEBSOCKET_VERSION = '13';

/**
 * Headers HTTP/2 forbids because they are specific to one HTTP/1.1
 * connection (RFC 9113 §8.2.2); a message carrying one is malformed.
 */
export const CONNECTION_SPECIFIC_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Header fields by lower-case name, repeated ones joined with ", ", with
 * the limits of a head applied: the fields together (name and value
 * lengths, as HPACK counts a header list, less its per-field overhead) at
 * most `maxHeadSize`, and at most `maxHeaders` of them. Returns the fault
 * otherwise.
 */
export function readHeaderFields(input: Http2HeaderInput, limits: HeadLimits): HeaderFields | ProtocolError {
  if (input === null || typeof input !== 'object') throw new TypeError('headers must be an object');
  const fields = createHeaderFields();
  let size = 0;
  let count = 0;
  for (const name of Object.keys(input)) {
    const value = input[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? (value as readonly string[]) : [String(value)];
    for (const item of values) {
      size += name.length + String(item).length;
      count++;
    }
    if (count > limits.maxHeaders) {
      return protocolError('HTTP_TOO_MANY_HEADERS', { detail: `more than ${limits.maxHeaders} header fields` });
    }
    if (size > limits.maxHeadSize) {
      return protocolError('HTTP_HEAD_TOO_LARGE', { detail: `header fields larger than ${limits.maxHeadSize} bytes` });
    }
    const key = name.toLowerCase();
    // A pseudo-header occurs at most once (RFC 9113 §8.3): a list is not joined.
    const joined = values.map(String).join(', ');
    if (key.startsWith(':') && (values.length !== 1 || fields[key] !== undefined)) {
      return protocolError('HANDSHAKE_BAD_REQUEST', { detail: `pseudo-header ${key} appears more than once` });
    }
    fields[key] = fields[key] === undefined ? joined : `${fields[key]}, ${joined}`;
  }
  return fields;
}

/**
 * True if the headers are an RFC 8441 WebSocket request: `:method` CONNECT
 * and `:protocol` websocket. Use it to route a stream before handing it to
 * a driver; the driver then checks the rest.
 */
export function isExtendedConnect(headers: Http2HeaderInput): boolean {
  if (headers === null || typeof headers !== 'object') return false;
  const method = headers[':method'];
  const protocol = headers[':protocol'];
  return method === 'CONNECT' && typeof protocol === 'string' && protocol.toLowerCase() === 'websocket';
}

/** Why a request is refused, and the status to answer it with. */
export interface RequestFault {
  /** 400 for a malformed request, 501 for a CONNECT this server does not do, 431 for oversized headers. */
  readonly status: number;
  readonly error: ProtocolError;
}

/**
 * Checks an extended CONNECT request against RFC 8441 §4-5 and RFC 6455
 * §4.2.1 (what of it still applies). Returns null if the server may accept
 * it. Sec-WebSocket-Key is not looked at (§5: `:protocol` supersedes it).
 */
export function checkExtendedConnectRequest(headers: HeaderFields): RequestFault | null {
  const bad = (message: string): RequestFault => ({
    status: 400,
    error: protocolError('HANDSHAKE_BAD_REQUEST', { detail: message }),
  });
  const method = headers[':method'];
  if (method !== 'CONNECT') return bad(`request method is ${method ?? 'missing'}, not CONNECT (RFC 8441 §4)`);
  const protocol = headers[':protocol'];
  if (protocol === undefined) {
    // A plain CONNECT asks for a TCP tunnel, which a WebSocket endpoint does not offer.
    return { status: 501, error: protocolError('HANDSHAKE_BAD_REQUEST', { detail: 'CONNECT without :protocol (a tunnel) is not implemented' }) };
  }
  if (protocol.toLowerCase() !== 'websocket') {
    // RFC 9220 §3 (the same rule as RFC 8441's): an unknown :protocol SHOULD get 501.
    return { status: 501, error: protocolError('HANDSHAKE_BAD_REQUEST', { detail: `:protocol ${JSON.stringify(protocol)} is not implemented` }) };
  }
  // RFC 8441 §4: with :protocol, :scheme and :path MUST be present.
  if (headers[':scheme'] === undefined || headers[':path'] === undefined) return bad('extended CONNECT needs :scheme and :path (RFC 8441 §4)');
  if (!headers[':path']!.startsWith('/')) return bad(`:path ${JSON.stringify(headers[':path'])} is not an absolute path`);
  if (headers[':authority'] === undefined && headers['host'] === undefined) return bad('request has no :authority');
  for (const name of CONNECTION_SPECIFIC_HEADERS) {
    // RFC 8441 §5: "They MUST NOT be included in the CONNECT request."
    if (headers[name] !== undefined) return bad(`${name} is a connection-specific header, not allowed in HTTP/2 (RFC 9113 §8.2.2)`);
  }
  const version = headers['sec-websocket-version'];
  if (version !== WEBSOCKET_VERSION) {
    return {
      status: 400,
      error: protocolError('HANDSHAKE_UNSUPPORTED_VERSION', {
        detail: `unsupported sec-websocket-version ${JSON.stringify(version ?? null)}; RFC 8441 bootstraps version 13`,
      }),
    };
  }
  return null;
}

/**
 * The request as the HTTP/1.1 drivers describe one (for `driver.env` and
 * `driver.url`): method CONNECT, `:path` as the target, `:authority` as
 * Host, pseudo-headers left out.
 */
export function handshakeRequestOf(headers: HeaderFields): HandshakeRequest {
  const plain = createHeaderFields();
  for (const name of Object.keys(headers)) {
    if (!name.startsWith(':')) plain[name] = headers[name]!;
  }
  // RFC 9113 §8.3.1: :authority stands in for Host.
  const authority = headers[':authority'];
  if (authority !== undefined) plain['host'] = authority;
  return {
    method: headers[':method'] ?? 'CONNECT',
    target: headers[':path'] ?? '/',
    httpVersion: '2',
    headers: plain,
    scheme: headers[':scheme'] === 'https' ? 'https' : 'http',
  };
}

/** The server's answer headers: the chosen subprotocol and extensions, then the application's own. */
export function extendedConnectResponseHeaders(
  protocol: string | null,
  extensions: string | null,
  extraHeaders: OutgoingHeaders,
): HeaderFields {
  const headers: HeaderFields = {};
  if (protocol !== null) headers['sec-websocket-protocol'] = protocol;
  if (extensions !== null && extensions !== '') headers['sec-websocket-extensions'] = extensions;
  for (const [name, value] of extraHeaders.entries()) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * The extended CONNECT request for `url`: pseudo-headers, the version,
 * the offers, Authorization from the URL's user info, then the
 * application's own headers. A `host` the application set becomes
 * `:authority` (RFC 9113 §8.3.1: a client uses :authority, not Host).
 */
export function extendedConnectRequestHeaders(
  url: WebSocketUrl,
  protocols: readonly string[],
  extensions: string | null,
  extraHeaders: OutgoingHeaders,
): HeaderFields {
  const headers: HeaderFields = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    // RFC 8441 §5: "https" for wss URIs and "http" for ws URIs.
    ':scheme': url.secure ? 'https' : 'http',
    ':path': url.target,
    ':authority': url.hostHeader,
    'sec-websocket-version': WEBSOCKET_VERSION,
  };
  if (protocols.length > 0) headers['sec-websocket-protocol'] = protocols.join(', ');
  if (extensions !== null && extensions !== '') headers['sec-websocket-extensions'] = extensions;
  if (url.authorization !== null) headers['authorization'] = url.authorization;
  for (const [name, value] of extraHeaders.entries()) {
    const key = name.toLowerCase();
    headers[key === 'host' ? ':authority' : key] = value;
  }
  return headers;
}

/**
 * Checks the server's answer (RFC 8441 §5, RFC 6455 §4.1 for the
 * subprotocol): a 2xx status, and a subprotocol that was offered.
 * Extensions are checked by the extension layer.
 */
export function checkExtendedConnectResponse(
  headers: HeaderFields,
  offeredProtocols: readonly string[],
): { readonly protocol: string | null } | ProtocolError {
  const status = Number(headers[':status']);
  if (!(status >= 200 && status <= 299)) {
    return protocolError('HANDSHAKE_UNEXPECTED_STATUS', { status: headers[':status'] ?? 'none' });
  }
  return checkChosenSubprotocol(headers['sec-websocket-protocol'], offeredProtocols);
}
