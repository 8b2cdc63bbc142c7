/**
 * Close frame payloads: a 2-byte status code and a UTF-8 reason
 * (RFC 6455 §5.5.1), and which codes may appear on the wire (§7.4).
 *
 * @module
 */
import { Close, ProtocolError, protocolError } from '../errors.js';
import { isValidUtf8 } from './utf8-validator.js';
import { strictUtf8, utf8Encoder } from '../bytes.js';

/**
 * True if `code` may travel in a close frame: 1000-1003 and 1007-1014
 * (RFC 6455 §7.4.1 and the IANA registry, where 1012-1014 are registered),
 * and 3000-4999 for libraries and applications (§7.4.2). 1004 is reserved;
 * 1005, 1006 and 1015 are only ever reported, never sent.
 */
export function isWireCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

/** A close frame's meaning. */
export interface ClosePayload {
  /** The status code, or 1005 when the frame carried none. */
  readonly code: number;
  readonly reason: string;
}

/** Reads a received close frame's payload, or says what is wrong with it. */
export function parseClosePayload(payload: Uint8Array): ClosePayload | ProtocolError {
  if (payload.length === 0) return { code: Close.NO_STATUS, reason: '' };
  if (payload.length === 1) {
    return protocolError('INVALID_CLOSE_PAYLOAD', {});
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isWireCloseCode(code)) {
    return protocolError('INVALID_CLOSE_CODE', { code });
  }
  const reasonBytes = payload.subarray(2);
  // §5.5.1: the reason "is not guaranteed to be human readable" but is UTF-8;
  // invalid data in it is answered as for text (§8.1).
  if (!isValidUtf8(reasonBytes)) {
    return protocolError('INVALID_CLOSE_REASON', {});
  }
  return { code, reason: strictUtf8.decode(reasonBytes) };
}

/**
 * Encodes a close payload. Throws if the code may not be sent or the
 * reason does not fit in a control frame (123 bytes of UTF-8).
 */
export function encodeClosePayload(code: number, reason: string): Uint8Array {
  if (!isWireCloseCode(code)) {
    throw new RangeError(`close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`);
  }
  const reasonBytes = utf8Encoder.encode(reason);
  if (reasonBytes.length > 123) {
    throw new RangeError(`close reason is ${reasonBytes.length} bytes of UTF-8; at most 123 fit in a close frame`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}
