/**
 * websocket-driver's error texts for the engine's faults. Applications
 * match on these strings (they have no other way to tell errors apart),
 * so the compat layer reports the same ones; each `Error` also carries
 * the engine's stable `code` and the `closeCode`.
 *
 * Faults websocket-driver does not detect keep the engine's text (see the
 * package README, "Differences kept").
 *
 * @module
 */
import type { ProtocolError } from '../../../lib/index.js';

/** What a client's handshake failure text needs to know about the response. */
export interface ResponseFacts {
  readonly statusCode: number | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The number in an engine message such as "reserved opcode 0x3", or null. */
function hexIn(message: string): number | null {
  const match = /0x([0-9a-f]+)/.exec(message);
  return match === null ? null : parseInt(match[1]!, 16);
}

/** The first decimal number in an engine message, or null. */
function numberIn(message: string): number | null {
  const match = /(\d+)/.exec(message);
  return match === null ? null : Number(match[1]);
}

/** websocket-driver's text for a fault found after the handshake. */
export function frameErrorText(error: ProtocolError): string {
  switch (error.code) {
    case 'RESERVED_BITS': {
      const rsv = hexIn(error.message) ?? 0;
      const bit = (mask: number) => ((rsv & mask) !== 0 ? 1 : 0);
      return `One or more reserved bits are on: reserved1 = ${bit(0x40)}, reserved2 = ${bit(0x20)}, reserved3 = ${bit(0x10)}`;
    }
    case 'RESERVED_OPCODE':
      return 'Unrecognized frame opcode: ' + (hexIn(error.message) ?? '');
    case 'FRAGMENTED_CONTROL_FRAME':
      return 'Received fragmented control frame: opcode = ' + (hexIn(error.message) ?? '');
    case 'CONTROL_FRAME_TOO_LONG':
      return 'Received control frame having too long payload: ' + (numberIn(error.message) ?? '');
    case 'UNMASKED_FRAME':
      return 'Received unmasked frame but masking is required';
    case 'MESSAGE_TOO_LONG':
      return 'WebSocket frame length too large';
    case 'UNEXPECTED_CONTINUATION':
      return 'Received unexpected continuation frame';
    case 'EXPECTED_CONTINUATION':
      return 'Received new data frame but previous continuous frame is unfinished';
    case 'INVALID_UTF8':
      return 'Could not decode a text frame as UTF-8';
    default:
      return error.message;
  }
}

const HANDSHAKE_PREFIX = 'Error during WebSocket handshake: ';

/** websocket-driver's text for a client whose handshake failed. */
export function clientHandshakeErrorText(error: ProtocolError, response: ResponseFacts): string {
  const headers = response.headers;
  switch (error.code) {
    case 'HANDSHAKE_UNEXPECTED_STATUS':
      return HANDSHAKE_PREFIX + 'Unexpected response code: ' + response.statusCode;
    case 'HANDSHAKE_BAD_RESPONSE': {
      const upgrade = headers['upgrade'] ?? '';
      const connection = headers['connection'] ?? '';
      if (upgrade === '') return HANDSHAKE_PREFIX + "'Upgrade' header is missing";
      if (upgrade.toLowerCase() !== 'websocket') return HANDSHAKE_PREFIX + "'Upgrade' header value is not 'WebSocket'";
      if (connection === '') return HANDSHAKE_PREFIX + "'Connection' header is missing";
      return HANDSHAKE_PREFIX + "'Connection' header value is not 'Upgrade'";
    }
    case 'HANDSHAKE_BAD_ACCEPT':
      return HANDSHAKE_PREFIX + 'Sec-WebSocket-Accept mismatch';
    case 'HANDSHAKE_BAD_PROTOCOL':
      return HANDSHAKE_PREFIX + 'Sec-WebSocket-Protocol mismatch';
    default:
      return error.message.startsWith(HANDSHAKE_PREFIX) ? error.message : HANDSHAKE_PREFIX + error.message;
  }
}

/** An `Error` with websocket-driver's text, and the engine's `code` and `closeCode`. */
export function legacyError(text: string, cause: ProtocolError): Error & { code: string; closeCode: number } {
  return Object.assign(new Error(text), { code: cause.code, closeCode: cause.closeCode });
}
