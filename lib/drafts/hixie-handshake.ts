/**
 * The server's side of the hixie opening handshakes: checking the request,
 * the draft-76 challenge, and the two 101 responses.
 *
 * - draft-hixie-thewebsocketprotocol-75 (server side): the response head
 *   with `WebSocket-Origin` and `WebSocket-Location`.
 * - draft-hixie-thewebsocketprotocol-76 §5.2 (server): the same with the
 *   `Sec-` prefix, plus a 16-byte answer to the client's challenge
 *   (`Sec-WebSocket-Key1`, `Sec-WebSocket-Key2` and an 8-byte body).
 *
 * @module
 */
import { md5 } from '@noble/hashes/legacy';
import { ProtocolError, protocolError } from '../errors.js';
import type { HandshakeRequest } from '../http/request.js';
import { hasToken, isValidHeaderValue } from '../http/tokens.js';

/** Which draft a handshake follows. */
export type HixieVersion = 'hixie-75' | 'hixie-76';

/** draft-76 §5.2: the client sends this many bytes of body after the head. */
export const KEY3_LENGTH = 8;

// The largest key number a conforming client sends (draft-76 §4.1: a random
// number times the spaces, never over 4,294,967,295), so the quotient always
// fits the 32 bits it is written in.
const MAX_KEY_NUMBER = 0xffffffff;

function badRequest(message: string): ProtocolError {
  return protocolError('HANDSHAKE_BAD_REQUEST', { detail: message });
}

/**
 * Checks what both drafts require of the request (a GET over HTTP/1.1 with
 * `Upgrade: WebSocket`, `Connection: Upgrade`, `Host` and `Origin`), and
 * that the values echoed into the response are safe to send. Returns null
 * if the request is acceptable, otherwise the fault (answered with 400).
 */
export function checkDraftRequest(request: HandshakeRequest, location: string): ProtocolError | null {
  const headers = request.headers;
  if (request.method !== 'GET') return badRequest(`handshake method is ${request.method}, not GET`);
  if (request.httpVersion !== null && request.httpVersion !== '1.1') {
    return badRequest(`handshake is HTTP/${request.httpVersion}; the drafts require HTTP/1.1`);
  }
  if (headers['host'] === undefined) return badRequest('handshake has no Host header');
  if (!hasToken(headers['upgrade'], 'websocket')) return badRequest('Upgrade header does not name WebSocket');
  if (!hasToken(headers['connection'], 'upgrade')) return badRequest('Connection header does not hold the upgrade token');
  // Both drafts make the server echo the origin; a request without one
  // cannot be answered (websocket-driver does not treat it as a WebSocket).
  const origin = headers['origin'];
  if (origin === undefined || origin === '') return badRequest('handshake has no Origin header');
  if (!isValidHeaderValue(origin)) return badRequest('Origin header holds characters that cannot be echoed');
  if (!isValidHeaderValue(location)) return badRequest('request URL holds characters that cannot be sent in a header');
  return null;
}

/**
 * draft-76 §5.2: the number a key encodes, which is its digits
 * read as a decimal number divided by its count of U+0020 SPACE
 * characters. Returns an error for a key with no digits, no spaces, a
 * number past 2^32 - 1, or a number that the spaces do not divide; the
 * draft calls these "a symptom of a cross-protocol attack".
 */
export function keyValue(name: string, key: string | undefined): number | ProtocolError {
  if (key === undefined) return badRequest(`handshake has no ${name} header`);
  let number = 0;
  let digits = 0;
  let spaces = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      number = number * 10 + (c - 0x30);
      digits++;
      // Checked at every digit, so a long run of digits cannot lose precision.
      if (number > MAX_KEY_NUMBER) return badRequest(`${name} encodes a number larger than 2^32 - 1`);
    } else if (c === 0x20) {
      spaces++;
    }
  }
  if (digits === 0) return badRequest(`${name} holds no digits`);
  if (spaces === 0) return badRequest(`${name} holds no spaces`);
  if (number % spaces !== 0) return badRequest(`${name}'s number is not a multiple of its spaces`);
  return number / spaces;
}

/**
 * draft-76 §5.2, the challenge response: the MD5 digest of
 * the two key values as big-endian 32-bit integers followed by the 8-byte
 * key3 body. The server sends these 16 bytes after the response head.
 */
export function challengeAnswer(value1: number, value2: number, key3: Uint8Array): Uint8Array {
  if (key3.length !== KEY3_LENGTH) throw new RangeError('key3 must be 8 bytes');
  const challenge = new Uint8Array(8 + KEY3_LENGTH);
  const view = new DataView(challenge.buffer);
  view.setUint32(0, value1);
  view.setUint32(4, value2);
  challenge.set(key3, 8);
  return md5(challenge);
}

/** What the response head echoes back. */
export interface DraftResponse {
  readonly origin: string;
  readonly location: string;
  readonly protocol: string | null;
  /** Header lines added with `setHeader()`, each ending in CRLF. */
  readonly extraHeaders: string;
}

/**
 * The 101 response head, ending with the blank line. The first lines are
 * fixed text that draft clients compare byte for byte (a draft-75 client
 * checks the first 85 bytes exactly), so their order and case must not change.
 */
export function draftResponseHead(version: HixieVersion, response: DraftResponse): string {
  const prefix = version === 'hixie-76' ? 'Sec-WebSocket' : 'WebSocket';
  const status = version === 'hixie-76' ? 'WebSocket Protocol Handshake' : 'Web Socket Protocol Handshake';
  return (
    `HTTP/1.1 101 ${status}\r\n` +
    'Upgrade: WebSocket\r\n' +
    'Connection: Upgrade\r\n' +
    `${prefix}-Origin: ${response.origin}\r\n` +
    `${prefix}-Location: ${response.location}\r\n` +
    (response.protocol !== null ? `${prefix}-Protocol: ${response.protocol}\r\n` : '') +
    response.extraHeaders +
    '\r\n'
  );
}

/** Header names a draft's response writes itself; `setHeader()` refuses them. */
export const DRAFT_MANAGED_HEADERS: ReadonlySet<string> = new Set([
  'websocket-origin',
  'websocket-location',
  'websocket-protocol',
  'sec-websocket-origin',
  'sec-websocket-location',
]);
