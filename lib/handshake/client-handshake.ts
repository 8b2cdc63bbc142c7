/**
 * The client's side of the opening handshake (RFC 6455 §4.1): the request,
 * and the checks on the server's response.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import type { ResponseHead } from '../http/head-parser.js';
import type { OutgoingHeaders } from '../http/outgoing-headers.js';
import { hasToken, splitHeaderList } from '../http/tokens.js';
import { acceptKeyFor, base64 } from './accept-key.js';

/** A ws: or wss: URL, checked and split into what the request needs. */
export interface WebSocketUrl {
  /** True for wss: (and https:): TLS under the WebSocket. */
  readonly secure: boolean;
  /** The host name or IP address; an IPv6 address keeps its brackets, as in the URL. */
  readonly host: string;
  /** The port: the URL's, or 80 for ws: and 443 for wss:. */
  readonly port: number;
  /** Host header value: the port is left out when it is the default. */
  readonly hostHeader: string;
  /** Path and query. */
  readonly target: string;
  /** The user info's user name, percent-decoded. */
  readonly username: string;
  /** `Basic …` credentials from the user info, or null if it has none: the one place the password is kept. */
  readonly authorization: string | null;
  /**
   * The whole URL, serialised, without the user info's password (it goes
   * only into `authorization`), so `driver.url` can be logged.
   */
  readonly href: string;
}

/**
 * Parses a client URL. Throws a TypeError unless it is ws: or wss: (or
 * http:/https:) with no fragment, and on user info Basic cannot carry.
 */
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
  const username = decodeUserInfo(url.username);
  const password = decodeUserInfo(url.password);
  // Read, then left out of `href`: the password goes only into `authorization`.
  url.password = '';
  return {
    secure,
    host: url.hostname,
    port,
    hostHeader: url.port === '' ? url.hostname : `${url.hostname}:${url.port}`,
    target: (url.pathname || '/') + url.search,
    username,
    authorization: username !== '' || password !== '' ? basicCredentials(username, password) : null,
    href: url.href,
  };
}

function decodeUserInfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TypeError('the URL user info holds a percent-escape that is not UTF-8');
  }
}

/**
 * Basic credentials for an Authorization or Proxy-Authorization header,
 * UTF-8 encoded (RFC 7617 §2.1). Throws a TypeError on credentials Basic
 * cannot carry.
 */
export function basicCredentials(username: string, password: string): string {
  // RFC 7617 §2: "a user-id containing a colon character is invalid", and
  // neither part may hold control characters.
  if (username.includes(':')) throw new TypeError('a user name may not contain ":" (RFC 7617 §2)');
  if (hasControlCharacter(username) || hasControlCharacter(password)) {
    throw new TypeError('credentials may not contain control characters (RFC 7617 §2)');
  }
  return 'Basic ' + base64(new TextEncoder().encode(`${username}:${password}`));
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The opening handshake request head, ending with the blank line. A Host
 * or Authorization the application set replaces the one from the URL.
 */
export function clientRequestHead(
  url: WebSocketUrl,
  key: string,
  protocols: readonly string[],
  extensions: string | null,
  extraHeaders: OutgoingHeaders,
): string {
  // RFC 9112 §3.2: a request carries exactly one Host.
  const host = extraHeaders.has('host') ? '' : `Host: ${url.hostHeader}\r\n`;
  const authorization =
    url.authorization !== null && !extraHeaders.has('authorization') ? `Authorization: ${url.authorization}\r\n` : '';
  return (
    `GET ${url.target} HTTP/1.1\r\n` +
    host +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n' +
    (protocols.length > 0 ? `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n` : '') +
    (extensions !== null && extensions !== '' ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
    authorization +
    extraHeaders.serialize() +
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
  if (head.statusCode !== 101) return protocolError('HANDSHAKE_UNEXPECTED_STATUS', { status: head.statusCode });
  const headers = head.headers;
  if (!hasToken(headers['upgrade'], 'websocket')) return protocolError('HANDSHAKE_BAD_RESPONSE', { detail: "'Upgrade' header value is not 'websocket'" });
  if (!hasToken(headers['connection'], 'upgrade')) return protocolError('HANDSHAKE_BAD_RESPONSE', { detail: "'Connection' header does not hold 'upgrade'" });
  if (headers['sec-websocket-accept'] !== acceptKeyFor(key)) {
    return protocolError('HANDSHAKE_BAD_ACCEPT', {});
  }
  return checkChosenSubprotocol(headers['sec-websocket-protocol'], offeredProtocols);
}

/**
 * The subprotocol a server's answer names (HTTP/1.1 or HTTP/2): one of
 * those offered, or none. RFC 6455 §4.1: a value the client did not offer
 * fails the connection.
 */
export function checkChosenSubprotocol(chosen: string | undefined, offeredProtocols: readonly string[]): AcceptedResponse | ProtocolError {
  if (chosen === undefined) return { protocol: null };
  const list = splitHeaderList(chosen);
  if (list.length !== 1 || !offeredProtocols.includes(list[0]!)) {
    return protocolError('HANDSHAKE_BAD_PROTOCOL', { chosen });
  }
  return { protocol: list[0]! };
}
