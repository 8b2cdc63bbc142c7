/**
 * Errors a driver reports, and the close codes that go with them.
 *
 * Two kinds of failure, kept apart on purpose:
 * - the peer broke the protocol: reported as a {@link ProtocolError} value in
 *   an `error` event, followed by `close` (never thrown out of `parse()`);
 * - the caller misused the API: thrown at once as a `TypeError` or
 *   `RangeError`.
 *
 * @module
 */

/** Close codes the driver itself sends or reports (RFC 6455 §7.4.1). */
export const CloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The endpoint is going away (server shutdown, page navigation). */
  GOING_AWAY: 1001,
  /** The peer broke the protocol. */
  PROTOCOL_ERROR: 1002,
  /** A data type the endpoint cannot accept. */
  UNACCEPTABLE: 1003,
  /** Reported, never sent: the close frame carried no status code. */
  NO_STATUS: 1005,
  /** Reported, never sent: the transport closed without a close handshake. */
  ABNORMAL: 1006,
  /** A message's data did not match its type (bad UTF-8 in a text message). */
  INVALID_DATA: 1007,
  /** A message violated the endpoint's policy. */
  POLICY_VIOLATION: 1008,
  /** A frame or message was larger than the endpoint accepts. */
  TOO_LARGE: 1009,
  /** The client expected an extension the server did not agree to. */
  EXTENSION_REQUIRED: 1010,
  /** The server met an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** The service is restarting; the client may reconnect (IANA registry). */
  SERVICE_RESTART: 1012,
  /** The service is overloaded; try again later (IANA registry). */
  TRY_AGAIN_LATER: 1013,
  /** A gateway or proxy got an invalid response from upstream (IANA registry). */
  BAD_GATEWAY: 1014,
} as const;

/**
 * A close code: one of the named {@link CloseCode} values, or any other
 * number in 3000-4999 (registered and private-use codes).
 */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode] | (number & {});

/**
 * Stable, machine-readable codes carried by {@link ProtocolError.code}.
 * Messages may be reworded between versions; these codes will not be.
 */
export type ErrorCode =
  // HTTP heads
  | 'HTTP_HEAD_TOO_LARGE'
  | 'HTTP_TOO_MANY_HEADERS'
  | 'HTTP_MALFORMED'
  // opening handshake
  | 'HANDSHAKE_BAD_REQUEST'
  | 'HANDSHAKE_UNSUPPORTED_VERSION'
  | 'HANDSHAKE_BAD_RESPONSE'
  | 'HANDSHAKE_UNEXPECTED_STATUS'
  | 'HANDSHAKE_BAD_ACCEPT'
  | 'HANDSHAKE_BAD_PROTOCOL'
  | 'HANDSHAKE_BAD_EXTENSION'
  | 'HANDSHAKE_REJECTED'
  // framing
  | 'RESERVED_BITS'
  | 'RESERVED_OPCODE'
  | 'FRAGMENTED_CONTROL_FRAME'
  | 'CONTROL_FRAME_TOO_LONG'
  | 'UNMASKED_FRAME'
  | 'MASKED_FRAME'
  | 'NON_MINIMAL_LENGTH'
  | 'LENGTH_OUT_OF_RANGE'
  | 'MESSAGE_TOO_LONG'
  | 'UNEXPECTED_CONTINUATION'
  | 'EXPECTED_CONTINUATION'
  | 'INVALID_UTF8'
  | 'INVALID_CLOSE_CODE'
  | 'INVALID_CLOSE_PAYLOAD'
  | 'INVALID_CLOSE_REASON'
  | 'INPUT_BEFORE_START_TOO_LARGE'
  // flow control and deadlines (docs/flow-control.md)
  | 'PAUSED_INPUT_TOO_LARGE'
  | 'PING_FLOOD'
  | 'HANDSHAKE_TIMEOUT'
  | 'PONG_TIMEOUT'
  | 'CLOSE_TIMEOUT'
  // HTTP CONNECT proxy
  | 'PROXY_REFUSED'
  | 'PROXY_CLOSED'
  // extensions
  | 'EXTENSION_ERROR'
  // the transport under the driver failed (socket error, refused connection, TLS)
  | 'TRANSPORT_ERROR'
  // legacy drafts
  | 'DRAFT_FRAME_ERROR';

/**
 * A fault of the peer's: what went wrong, in words and as a stable code,
 * and the close code RFC 6455 prescribes for it.
 */
export class ProtocolError extends Error {
  /** Always `'ProtocolError'`. */
  override readonly name = 'ProtocolError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** The close code sent to the peer (and reported in the `close` event). */
  readonly closeCode: number;

  constructor(code: ErrorCode, message: string, closeCode: number = CloseCode.PROTOCOL_ERROR, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.closeCode = closeCode;
  }
}

/**
 * The transport failed (a refused connection, an unresolvable host, a TLS
 * error, a reset): every adapter reports it as this error, then `close`
 * with 1006 and the cause's message as the reason.
 */
export function transportError(cause: unknown): ProtocolError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ProtocolError('TRANSPORT_ERROR', message, CloseCode.ABNORMAL, { cause });
}
