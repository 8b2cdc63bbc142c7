/**
 * websocket-driver 0.8.0's rules where they differ from RFC 6455, as the
 * engine's compat hooks (lib/compat-hooks.ts). The issue that asked for
 * the compat layer chose, difference by difference, which side it takes;
 * these are the ones where it follows websocket-driver, because code in
 * the wild relies on them:
 *
 * - a close frame with no code is reported (and answered) as 1000, not 1005;
 * - a close frame with a bad code (1012-1014 included) or a reason that is
 *   not UTF-8 ends the connection cleanly with 1002, no `error` event;
 * - the answer to a close frame repeats the peer's reason;
 * - `close()` sends any 16-bit code the application passes;
 * - an unmasked frame from a client fails with 1003;
 *
 * and, without the engine: only version 13 is spoken, a bad request gets
 * websocket-driver's 400 (checkRequest, refusal, used by the drivers'
 * start()), and handshake heads carry their headers in websocket-driver's
 * order (inWebSocketDriverOrder, on the way out).
 *
 * @module
 */
import type { ProtocolError as ProtocolErrorType } from '../../../lib/index.js';
import { ProtocolError } from '../../../lib/errors.js';
import type { CompatHooks } from '../../../lib/compat-hooks.js';
import type { ClosePayload } from '../../../lib/frame/close-payload.js';
import { isValidUtf8 } from '../../../lib/frame/utf8-validator.js';
import { hasToken } from '../../../lib/http/tokens.js';
import { frameErrorText } from './messages.js';

/** Close codes websocket-driver accepts from the peer besides 3000-4999. */
const ACCEPTED_CLOSE_CODES: readonly number[] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011];
const PROTOCOL_ERROR = 1002;
// ignoreBOM: a reason that starts with U+FEFF keeps it, as Buffer#toString does in websocket-driver.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

function readClose(payload: Uint8Array): ClosePayload {
  if (payload.length === 0) return { code: 1000, reason: '' };
  let code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : PROTOCOL_ERROR;
  if (!(code >= 3000 && code <= 4999) && !ACCEPTED_CLOSE_CODES.includes(code)) code = PROTOCOL_ERROR;
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) return { code: PROTOCOL_ERROR, reason: '' };
  return { code, reason: utf8.decode(reasonBytes) };
}

/**
 * Any code that fits the frame's 16 bits, as websocket-driver writes it.
 * The reason is cut to the 123 bytes a control frame holds (websocket-driver
 * sends a longer one, which RFC 6455 §5.5 forbids).
 */
function encodeClose(code: number, reason: string): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new RangeError(`close code ${code} does not fit in 16 bits`);
  }
  let reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > 123) {
    let end = 123;
    while (end > 0 && (reasonBytes[end]! & 0xc0) === 0x80) end--;
    reasonBytes = reasonBytes.subarray(0, end);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

function badRequest(message: string): ProtocolErrorType {
  return new ProtocolError('HANDSHAKE_BAD_REQUEST', message, PROTOCOL_ERROR);
}

/** A request's method and headers by lower-case name, as an HTTP server or the engine parsed them. */
export interface RequestFacts {
  readonly method?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/**
 * websocket-driver's checks, made before the engine's own (RFC 6455 §4.2.1):
 * a WebSocket GET, version 13 only, a key. Tokens are read with the
 * engine's linear tokenizer.
 */
export function checkRequest(request: RequestFacts): ProtocolErrorType | null {
  const field = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
  };
  const headers = { connection: field('connection'), upgrade: field('upgrade'), 'sec-websocket-version': field('sec-websocket-version'), 'sec-websocket-key': field('sec-websocket-key') };
  if ((request.method ?? 'GET') !== 'GET' || !hasToken(headers['connection'], 'upgrade') || !hasToken(headers['upgrade'], 'websocket')) {
    return badRequest('Not a WebSocket request');
  }
  const version = headers['sec-websocket-version'];
  if (version !== '13') return badRequest('Unsupported WebSocket version: ' + version);
  if (headers['sec-websocket-key'] === undefined) return badRequest('Missing handshake request header: Sec-WebSocket-Key');
  return null;
}

/** Header names the engine writes in a 101 response, which websocket-driver writes after the application's. */
const RESPONSE_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions']);

/**
 * A handshake head in websocket-driver's header order: a 101 response
 * carries the application's headers first (websocket-driver sets them
 * before its own); a request carries the extension offer last (set at
 * start()). The engine writes both in RFC order; any other head is left
 * as it is.
 */
export function inWebSocketDriverOrder(head: Uint8Array): Uint8Array {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  const lines = text.split('\r\n');
  // [start line, ...headers, '', ''] for a head that ends with its blank line.
  if (lines.length < 3 || lines[lines.length - 1] !== '' || lines[lines.length - 2] !== '') return head;
  const headers = lines.slice(1, -2);
  const name = (line: string) => line.slice(0, line.indexOf(':')).toLowerCase();
  let ordered: string[];
  if (lines[0]!.startsWith('HTTP/1.1 101 ')) {
    ordered = [...headers.filter((line) => !RESPONSE_HEADERS.has(name(line))), ...headers.filter((line) => RESPONSE_HEADERS.has(name(line)))];
  } else if (lines[0]!.startsWith('GET ')) {
    ordered = [...headers.filter((line) => name(line) !== 'sec-websocket-extensions'), ...headers.filter((line) => name(line) === 'sec-websocket-extensions')];
  } else {
    return head;
  }
  return Buffer.from([lines[0], ...ordered, '', ''].join('\r\n'), 'latin1');
}

/**
 * What the engine writes, as it goes out of `io`: a handshake head (it
 * starts with "HTTP/" or "GET ") in websocket-driver's header order,
 * anything else as it is. No frame the engine writes starts with `G` or
 * `H` (0x47: reserved opcode 7; 0x48: a non-final close frame with RSV1;
 * a hixie frame starts with 0x00 or 0xFF), so one byte tells a head from a
 * frame, where asking the driver's state costs three calls per frame.
 */
export function asWritten(bytes: Uint8Array): Uint8Array {
  const first = bytes[0];
  return first === 0x47 || first === 0x48 ? inWebSocketDriverOrder(bytes) : bytes;
}

/** websocket-driver's 400: text/plain, the message as the body, no trailing newline. */
export function refusal(error: ProtocolErrorType): Uint8Array {
  const body = encoder.encode(error.message);
  const head = `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`;
  const response = new Uint8Array(head.length + body.length);
  for (let i = 0; i < head.length; i++) response[i] = head.charCodeAt(i);
  response.set(body, head.length);
  return response;
}

/** The hooks, shared by every compat driver (they hold no state). */
export const WEBSOCKET_DRIVER_RULES: CompatHooks = Object.freeze({
  readClose,
  echoCloseReason: true,
  encodeClose,
  failureReason: frameErrorText,
  unmaskedFrameCloseCode: 1003,
});
