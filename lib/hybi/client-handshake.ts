/**
 * The client's side of the opening handshake (RFC 6455 §4.1): the request,
 * and the checks on the server's response.
 *
 * @module
 */
import { CloseCode, ProtocolError } from '../errors.js';
import type { ResponseHead } from '../http/head-parser.js';
import { hasToken, splitHeaderList } from '../http/tokens.js';
import { acceptKeyFor, base64 } from './accept-key.js';

/** A ws: or wss: URL, checked and split into what the request needs. */
export interface WebSocketUrl {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** Host header value: the port is left out when it is the default. */
  readonly hostHeader: string;
  /** Path and query. */
  readonly target: string;
  readonly username: string;
  readonly password: string;
  readonly href: string;
}

/** Parses a client URL; throws a TypeError unless it is ws: or wss: (or http:/https:). */
export function parseWebSocketUrl(input: string | URL): WebSocketUrl {
  const url = new URL(String(input));
  const scheme = url.protocol;
  if (scheme !== 'ws:' && scheme !== 'wss:' && scheme !== 'http:' && scheme !== 'https:') {
    throw new TypeError(`${url.href} is not a ws: or wss: URL`);
  }
  if (url.hash !== '') throw new TypeError('a WebSocket URL may not have a fragment (RFC 6455 §3)');
  const secure = scheme === 'wss:' || scheme === 'https:';
  const defaultPort = secure ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  return {
    secure,
    host: url.hostname,
    port,
    hostHeader: url.port === '' ? url.hostname : `${url.hostname}:${url.port}`,
    target: (url.pathname || '/') + url.search,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    href: url.href,
  };
}

/** Basic credentials for an Authorization or Proxy-Authorization header, UTF-8 encoded. */
export function basicCredentials(username: string, password: string): string {
  return 'Basic ' + base64(new TextEncoder().encode(`${username}:${password}`));
}

/** The opening handshake request head, ending with the blank line. */
export function clientRequestHead(
  url: WebSocketUrl,
  key: string,
  protocols: readonly string[],
  extensions: string | null,
  extraHeaders: string,
  hasAuthorization: boolean,
): string {
  const authorization =
    !hasAuthorization && (url.username !== '' || url.password !== '')
      ? `Authorization: ${basicCredentials(url.username, url.password)}\r\n`
      : '';
  return (
    `GET ${url.target} HTTP/1.1\r\n` +
    `Host: ${url.hostHeader}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n' +
    (protocols.length > 0 ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') +
    (extensions !== null && extensions !== '' ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
    authorization +
    extraHeaders +
    '\r\n'
  );
}

/** What the response settled: the chosen subprotocol. */
export interface AcceptedResponse {
  readonly protocol: string | null;
}

/**
 * Checks the server's response (§4.1, "the client MUST validate the
 * server's response"). Extensions are checked by the extension layer.
 */
export function checkHandshakeResponse(
  head: ResponseHead,
  key: string,
  offeredProtocols: readonly string[],
): AcceptedResponse | ProtocolError {
  const fail = (code: 'HANDSHAKE_UNEXPECTED_STATUS' | 'HANDSHAKE_BAD_RESPONSE' | 'HANDSHAKE_BAD_ACCEPT' | 'HANDSHAKE_BAD_PROTOCOL', message: string) =>
    new ProtocolError(code, message, CloseCode.PROTOCOL_ERROR);
  if (head.statusCode !== 101) {
    return fail('HANDSHAKE_UNEXPECTED_STATUS', `unexpected response code: ${head.statusCode}`);
  }
  const headers = head.headers;
  if (!hasToken(headers['upgrade'], 'websocket')) return fail('HANDSHAKE_BAD_RESPONSE', "'Upgrade' header value is not 'websocket'");
  if (!hasToken(headers['connection'], 'upgrade')) return fail('HANDSHAKE_BAD_RESPONSE', "'Connection' header does not hold 'upgrade'");
  if (headers['sec-websocket-accept'] !== acceptKeyFor(key)) {
    return fail('HANDSHAKE_BAD_ACCEPT', 'Sec-WebSocket-Accept mismatch');
  }
  const chosen = headers['sec-websocket-protocol'];
  if (chosen === undefined) return { protocol: null };
  const list = splitHeaderList(chosen);
  if (list.length !== 1 || !offeredProtocols.includes(list[0]!)) {
    return fail('HANDSHAKE_BAD_PROTOCOL', `server chose subprotocol ${JSON.stringify(chosen)}, which was not offered`);
  }
  return { protocol: list[0]! };
}
