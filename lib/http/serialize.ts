/**
 * Writing HTTP heads as bytes: the handshake responses and requests, and
 * the plain-text rejections sent when a handshake cannot proceed.
 *
 * @module
 */
import { concatBytes, utf8Encoder } from '../bytes.js';
import type { ProtocolError } from '../errors.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: 'Switching Protocols',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The standard reason phrase for a status code ('' if unknown). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/**
 * Encodes head text as bytes, one byte per char code. Header values are
 * validated to be Latin-1 before they get here.
 */
export function encodeHead(text: string): Uint8Array {
  // Nearly every head is ASCII, which the native UTF-8 encoder writes byte
  // for byte (its output is as long as the text only then): no loop in
  // JavaScript on a server's accept path.
  const ascii = utf8Encoder.encode(text);
  if (ascii.length === text.length) return ascii;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * A complete plain-text error response that closes the connection, e.g.
 * for a request that is not a valid WebSocket handshake. A 426 names
 * websocket as the protocol to upgrade to.
 */
export function errorResponse(status: number, message: string, extraHeaders = ''): Uint8Array {
  const body = utf8Encoder.encode(message + '\n');
  // RFC 9110 §15.5.22: a 426 MUST carry Upgrade; §7.8: whoever sends
  // Upgrade also sends the "upgrade" connection option.
  const upgrade = status === 426;
  const head =
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    (upgrade ? 'Upgrade: websocket\r\nConnection: Upgrade, close\r\n' : 'Connection: close\r\n') +
    extraHeaders +
    '\r\n';
  return concatBytes(encodeHead(head), body);
}

/**
 * The answer to a request head that could not be read (`Driver.server`):
 * 431 for one too large or with too many fields (RFC 6585 §5), else 400.
 */
export function unreadableHeadResponse(error: ProtocolError): Uint8Array {
  const tooLarge = error.code === 'HTTP_HEAD_TOO_LARGE' || error.code === 'HTTP_TOO_MANY_HEADERS';
  return errorResponse(tooLarge ? 431 : 400, error.message);
}
