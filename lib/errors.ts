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
 * The same codes as {@link CloseCode}, for the library's own use: a const
 * enum, so that a bundler puts each number in place of its name and an app
 * that never imports `CloseCode` leaves that object out (the test of the
 * error catalogue holds the two to the same names and values).
 * @internal
 */
export const enum Close {
  NORMAL = 1000,
  GOING_AWAY = 1001,
  PROTOCOL_ERROR = 1002,
  UNACCEPTABLE = 1003,
  NO_STATUS = 1005,
  ABNORMAL = 1006,
  INVALID_DATA = 1007,
  POLICY_VIOLATION = 1008,
  TOO_LARGE = 1009,
  EXTENSION_REQUIRED = 1010,
  INTERNAL_ERROR = 1011,
  SERVICE_RESTART = 1012,
  TRY_AGAIN_LATER = 1013,
  BAD_GATEWAY = 1014,
}

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

/** Free-form facts: the message is the detail itself. */
interface Detail {
  /** What exactly was wrong, in words. */
  readonly detail: string;
}

const said = (facts: Detail): string => facts.detail;
const hex = (value: number): string => `0x${value.toString(16)}`;

/**
 * One entry of the error catalogue: the close code sent (or reported) for
 * the fault, the rule it enforces, and its message made from the facts at
 * the failure site.
 */
export interface ErrorEntry<Facts> {
  /** The close code RFC 6455 §7.4.1 prescribes; a site may override it where the rule depends on the side (noted in the entry). */
  readonly closeCode: number;
  /** The rule enforced, as "RFC n §x.y" (or "hixie-76 §x.y" for the draft). */
  readonly section: string;
  /** The message, from the facts the failure site names. */
  readonly message: (facts: Facts) => string;
}

function entry<Facts>(closeCode: number, section: string, message: (facts: Facts) => string): ErrorEntry<Facts> {
  return { closeCode, section, message };
}

/**
 * Every fault a driver reports: its stable code, close code, the rule it
 * enforces and its message. Exactly the {@link ErrorCode}s: a code
 * missing here, or one here that is not an ErrorCode, does not compile. Failure sites name the code and the facts
 * (`protocolError('MESSAGE_TOO_LONG', { length, max })`); the wording
 * lives only here. Each call builds the table afresh: protocolError()
 * builds it once, at the first error, so a process that loads the package
 * and never fails a peer never builds it (bench/analysis.md, "What loading
 * wsdriver costs, sessions 9-10"), and a bundle importing only
 * {@link CloseCode} (wsdriver/callbacks) leaves it out.
 */
export const buildErrorCatalogue = () =>
  ({
  // HTTP heads
  HTTP_HEAD_TOO_LARGE: entry(Close.TOO_LARGE, 'RFC 9110 §5.4', said),
  HTTP_TOO_MANY_HEADERS: entry(Close.TOO_LARGE, 'RFC 9110 §5.4', said),
  HTTP_MALFORMED: entry(Close.PROTOCOL_ERROR, 'RFC 9112 §2.2', said),
  // opening handshake
  HANDSHAKE_BAD_REQUEST: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.2.1', said),
  HANDSHAKE_UNSUPPORTED_VERSION: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.4', said),
  HANDSHAKE_BAD_RESPONSE: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.1', said),
  HANDSHAKE_UNEXPECTED_STATUS: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.1', (f: { status: string | number }) => `unexpected response status: ${f.status}`),
  HANDSHAKE_BAD_ACCEPT: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.1', () => 'Sec-WebSocket-Accept mismatch'),
  HANDSHAKE_BAD_PROTOCOL: entry(
    Close.PROTOCOL_ERROR,
    'RFC 6455 §4.1',
    (f: { chosen: string }) => `server chose subprotocol ${JSON.stringify(f.chosen)}, which was not offered`,
  ),
  // A client refusing the server's answer sends 1010 (§7.4.1); a server
  // refusing a malformed offer answers 400 and reports 1002.
  HANDSHAKE_BAD_EXTENSION: entry(Close.EXTENSION_REQUIRED, 'RFC 6455 §9.1', said),
  HANDSHAKE_REJECTED: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §4.1', said),
  // framing
  RESERVED_BITS: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.2', (f: { rsv: number; continuation: boolean }) =>
    f.continuation ? `reserved bits ${hex(f.rsv)} set on a continuation frame` : `reserved bits ${hex(f.rsv)} set with no extension claiming them`,
  ),
  RESERVED_OPCODE: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.2', (f: { opcode: number }) => `reserved opcode ${hex(f.opcode)}`),
  FRAGMENTED_CONTROL_FRAME: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.5', (f: { opcode: number }) => `control frame (opcode ${hex(f.opcode)}) is fragmented`),
  CONTROL_FRAME_TOO_LONG: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.5', (f: { length: number }) => `control frame payload of ${f.length} bytes exceeds 125`),
  UNMASKED_FRAME: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.1', () => 'client frame is not masked'),
  MASKED_FRAME: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.1', () => 'server frame is masked'),
  NON_MINIMAL_LENGTH: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.2', (f: { bits: 16 | 64 }) =>
    `frame length uses ${f.bits} bits for a length under ${f.bits === 16 ? 126 : 65536}`,
  ),
  LENGTH_OUT_OF_RANGE: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.2', () => 'frame length has its most significant bit set'),
  MESSAGE_TOO_LONG: entry(Close.TOO_LARGE, 'RFC 6455 §10.4', (f: { length: number; max: number; limit?: 'maxLength' | 'maxStreamedMessageSize' }) =>
    `message of at least ${f.length} bytes exceeds ${f.limit ?? 'maxLength'} (${f.max})`,
  ),
  UNEXPECTED_CONTINUATION: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.4', () => 'continuation frame with no message to continue'),
  EXPECTED_CONTINUATION: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.4', () => 'new data frame while a fragmented message is unfinished'),
  INVALID_UTF8: entry(Close.INVALID_DATA, 'RFC 6455 §8.1', () => 'text message is not valid UTF-8'),
  INVALID_CLOSE_CODE: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §7.4', (f: { code: number }) => `invalid close code ${f.code}`),
  INVALID_CLOSE_PAYLOAD: entry(Close.PROTOCOL_ERROR, 'RFC 6455 §5.5.1', () => 'close frame payload of 1 byte cannot hold a status code'),
  INVALID_CLOSE_REASON: entry(Close.INVALID_DATA, 'RFC 6455 §5.5.1', () => 'close reason is not valid UTF-8'),
  INPUT_BEFORE_START_TOO_LARGE: entry(Close.TOO_LARGE, 'RFC 6455 §10.4', (f: { max: number }) => `more than maxLength (${f.max}) bytes arrived before start()`),
  // flow control and deadlines (docs/flow-control.md)
  PAUSED_INPUT_TOO_LARGE: entry(Close.TOO_LARGE, 'RFC 6455 §10.4', (f: { max: number }) => `more than maxPausedBytes (${f.max}) bytes arrived while paused`),
  PING_FLOOD: entry(Close.POLICY_VIOLATION, 'RFC 6455 §5.5.3', () => 'too many pings while our pongs could not be sent'),
  // 1006: reported, never sent; a server that has not answered sends 408 (RFC 9110 §15.5.9).
  HANDSHAKE_TIMEOUT: entry(Close.ABNORMAL, 'RFC 6455 §4.1', () => 'the opening handshake did not complete in time'),
  PONG_TIMEOUT: entry(Close.INTERNAL_ERROR, 'RFC 6455 §5.5.2', () => 'no pong arrived in time for the keepalive ping'),
  CLOSE_TIMEOUT: entry(Close.ABNORMAL, 'RFC 6455 §7.1.1', () => 'the closing handshake did not finish in time'),
  // HTTP CONNECT proxy
  PROXY_REFUSED: entry(Close.PROTOCOL_ERROR, 'RFC 9110 §9.3.6', (f: { authority: string; status: string }) => `the proxy refused CONNECT ${f.authority}: ${f.status}`),
  PROXY_CLOSED: entry(Close.PROTOCOL_ERROR, 'RFC 9110 §9.3.6', (f: { authority: string }) => `the connection closed before the proxy opened a tunnel to ${f.authority}`),
  // extensions: 1011 for an extension's own failure; 1007 for data it cannot decode
  EXTENSION_ERROR: entry(Close.INTERNAL_ERROR, 'RFC 6455 §9', said),
  // the transport under the driver failed (socket error, refused connection, TLS)
  TRANSPORT_ERROR: entry(Close.ABNORMAL, 'RFC 6455 §7.1.5', said),
  // legacy drafts
  DRAFT_FRAME_ERROR: entry(Close.PROTOCOL_ERROR, 'hixie-76 §5.3', said),
  }) as const satisfies { readonly [K in ErrorCode]: unknown };

let catalogue: ReturnType<typeof buildErrorCatalogue> | undefined;

/** The facts a failure site gives for `code`'s message. */
export type ErrorFacts<K extends ErrorCode> = [Parameters<ReturnType<typeof buildErrorCatalogue>[K]['message']>[0]] extends [undefined]
  ? Record<string, never>
  : Parameters<ReturnType<typeof buildErrorCatalogue>[K]['message']>[0];

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

  constructor(code: ErrorCode, message: string, closeCode: number = Close.PROTOCOL_ERROR, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.closeCode = closeCode;
  }
}

/**
 * The error for `code`, its message made from `facts` by the catalogue.
 * `closeCode` overrides the catalogue's only where the entry says the
 * rule depends on the side.
 */
export function protocolError<K extends ErrorCode>(
  code: K,
  facts: ErrorFacts<K>,
  options?: { readonly closeCode?: number; readonly cause?: unknown },
): ProtocolError {
  const entry = (catalogue ??= buildErrorCatalogue())[code] as ErrorEntry<ErrorFacts<K>>;
  const cause = options !== undefined && 'cause' in options ? { cause: options.cause } : undefined;
  return new ProtocolError(code, entry.message(facts), options?.closeCode ?? entry.closeCode, cause);
}

/**
 * The transport failed (a refused connection, an unresolvable host, a TLS
 * error, a reset): every adapter reports it as this error, then `close`
 * with 1006 and the cause's message as the reason.
 */
export function transportError(cause: unknown): ProtocolError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return protocolError('TRANSPORT_ERROR', { detail }, { cause });
}
