/**
 * The server's side of the opening handshake (RFC 6455 §4.2): checking the
 * client's request, choosing a subprotocol, and the 101 response.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import type { HandshakeRequest } from '../http/request.js';
import { hasToken, splitHeaderList } from '../http/tokens.js';
import { acceptKeyFor, isValidKey } from './accept-key.js';

/** Sec-WebSocket-Version values this library speaks: hybi-07/08 and RFC 6455. */
export const SUPPORTED_VERSIONS = ['13', '8', '7'] as const;

/** The version header a 426 carries to say what the server speaks (§4.4). */
export const VERSION_HEADER = `Sec-WebSocket-Version: ${SUPPORTED_VERSIONS.join(', ')}\r\n`;

/**
 * Checks a request against §4.2.1. Returns null if it is a valid opening
 * handshake, or the fault: `HANDSHAKE_UNSUPPORTED_VERSION` is answered
 * with 426, every other with 400.
 */
export function checkHandshakeRequest(request: HandshakeRequest): ProtocolError | null {
  const headers = request.headers;
  if (request.method !== 'GET') return bad(`handshake method is ${request.method}, not GET`);
  if (request.httpVersion !== null && !isAtLeastHttp11(request.httpVersion)) {
    return bad(`handshake is HTTP/${request.httpVersion}; HTTP/1.1 or later is required`);
  }
  if (headers['host'] === undefined) return bad('handshake has no Host header');
  if (!hasToken(headers['upgrade'], 'websocket')) return bad('Upgrade header does not name websocket');
  if (!hasToken(headers['connection'], 'upgrade')) return bad('Connection header does not hold the upgrade token');
  if (!isValidKey(headers['sec-websocket-key'])) {
    return bad('Sec-WebSocket-Key is missing or not base64 of 16 bytes');
  }
  const version = headers['sec-websocket-version'];
  if (version === undefined || !(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    return protocolError('HANDSHAKE_UNSUPPORTED_VERSION', { detail: `unsupported Sec-WebSocket-Version ${JSON.stringify(version ?? null)}` });
  }
  return null;
}

/**
 * True if `request` asks for a WebSocket upgrade: a GET whose `Connection`
 * header holds the `upgrade` token and whose `Upgrade` header names
 * `websocket` (RFC 6455 §4.2.1, items 1, 3 and 4: what tells a WebSocket
 * handshake from another request; the rest is checked when it is answered).
 */
export function asksForWebSocket(method: string, connection: string | undefined, upgrade: string | undefined): boolean {
  return method === 'GET' && hasToken(connection, 'upgrade') && hasToken(upgrade, 'websocket');
}

// A function, not a closure made on every call.
function bad(detail: string): ProtocolError {
  return protocolError('HANDSHAKE_BAD_REQUEST', { detail });
}

function isAtLeastHttp11(version: string): boolean {
  if (version === '1.1') return true; // nearly every request: no split, no arrays
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 1);
}

/**
 * The subprotocol to accept: the first of the client's offers (in the
 * client's order) that the server supports, or null.
 */
export function selectSubprotocol(offered: string | undefined, supported: readonly string[]): string | null {
  if (offered === undefined || supported.length === 0) return null;
  for (const protocol of splitHeaderList(offered)) {
    if (supported.includes(protocol)) return protocol;
  }
  return null;
}

/** The 101 response head, ending with the blank line. */
export function serverResponseHead(
  key: string,
  protocol: string | null,
  extensions: string | null,
  extraHeaders: string,
): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n` +
    (protocol !== null ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
    (extensions !== null && extensions !== '' ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
    extraHeaders +
    '\r\n'
  );
}
