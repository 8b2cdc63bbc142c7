/**
 * The Node adapter's options, in one place. Each entry point takes one
 * object: the driver's {@link DriverOptions}, the adapter's
 * {@link AttachOptions}, and what that entry point adds (`headers` for a
 * client's request, `tls` for `connect`, the server object's own keys).
 * Every key is checked: an unknown one throws.
 *
 * @module
 */
import type tls from 'node:tls';
import type { FramingServerDriver } from '../../driver/framing-driver.js';
import type { ServerSideDriver } from '../../connection/server-side.js';
import { DEFAULT_OPTIONS, type DriverOptions, type ExtraHeaders, type HeadersOption } from '../../options.js';
import type { Handler } from '../callbacks/bind-handler.js';
import type { ZlibStreams } from './permessage-deflate.js';
import type { UpgradeRequest } from './upgrade-request.js';

/** Options of the Node adapter itself, beside the driver's own (see {@link attach}). */
export interface AttachOptions {
  /**
   * Milliseconds to wait for the peer at the end: once this side has sent
   * its close frame, for the peer's close frame (then the stream is
   * destroyed and the driver reports 1006); once the WebSocket connection
   * is over, for the peer to close its side of the TCP connection.
   * Default 30000.
   */
  closeTimeout?: number;
  /**
   * Milliseconds the opening handshake may take from `attach`: a server
   * that has not answered by then sends `408 Request Timeout`; either side
   * then ends the stream (`error` `HANDSHAKE_TIMEOUT`, `close` 1006). 0
   * turns it off. Default 30000.
   */
  handshakeTimeout?: number;
  /**
   * Keepalive: send a ping once nothing was received for this many
   * milliseconds (checked once per interval). 0 (the default) turns it off.
   */
  pingInterval?: number;
  /**
   * Milliseconds the keepalive ping's pong may take; a later one fails the
   * connection with 1011 (`PONG_TIMEOUT`), sends the close frame and
   * destroys the stream without waiting. Default `pingInterval`.
   */
  pingTimeout?: number;
}

/** {@link DriverOptions} and the adapter's {@link AttachOptions} together: what `handleUpgrade` and `handleHttp2Stream` take. */
export type NodeDriverOptions = DriverOptions & AttachOptions;

/** Options of a client entry point ({@link connect}, {@link connectHttp2}): `headers` go in the handshake request. */
export interface ClientOptions extends NodeDriverOptions, HeadersOption {}

/** Options of {@link connect}: a client's, and TLS for wss: URLs. */
export interface ConnectOptions extends ClientOptions {
  /**
   * For wss: URLs, passed to `tls.connect` (`ca`, `rejectUnauthorized`,
   * client certificates…). `host`, `port` and `servername` come from the URL.
   */
  tls?: Omit<tls.ConnectionOptions, 'host' | 'port' | 'socket' | 'path'>;
}

/** Options of {@link perMessageDeflate}. "Own" is what this endpoint sends, "peer" what it receives. */
export interface PerMessageDeflateOptions {
  /** zlib compression level, 0-9, or -1 for zlib's default (6). */
  level?: number;
  /** zlib memLevel, 1-9: memory for the compressor's state. Default 8. */
  memLevel?: number;
  /** zlib strategy (`zlib.constants.Z_*` strategy). Default `Z_DEFAULT_STRATEGY`. */
  strategy?: number;
  /**
   * Reset the compressor after each message sent, and declare it
   * (`server_no_context_takeover` from a server, `client_no_context_takeover`
   * from a client). Costs ratio, saves keeping the compressor's window.
   */
  noContextTakeover?: boolean;
  /** Largest LZ77 window, as bits (8-15), this endpoint compresses with. Default 15. */
  maxWindowBits?: number;
  /** Ask the peer to reset its compressor after each message (no inflate context is then kept here). */
  requestNoContextTakeover?: boolean;
  /**
   * Ask the peer to compress with a window of at most this many bits
   * (8-15), which bounds the inflater's memory here. A client fails the
   * handshake if the server does not agree; a server can only ask a client
   * that offered `client_max_window_bits`.
   */
  requestMaxWindowBits?: number;
  /** Messages shorter than this many bytes are sent uncompressed. Default 0: compress every message. */
  threshold?: number;
  /**
   * Compressions and decompressions that may run at once across every
   * connection this extension object is added to (create it once and add
   * the same one to each connection); the others wait their turn, in order.
   * Default 10, as ws's `concurrencyLimit`. zlib runs on Node's thread
   * pool (4 threads unless `UV_THREADPOOL_SIZE` says otherwise): without a
   * bound, a broadcast to thousands of clients queues thousands of jobs
   * there, each holding its input and output, and file-system and DNS work
   * waits behind them.
   */
  concurrencyLimit?: number;
  /** A stand-in for `node:zlib`'s raw streams (instrumentation, another implementation). */
  zlib?: ZlibStreams;
}

/** The driver a {@link WebSocketServer} makes for a connection: HTTP/1.1 (`Driver.rack`) or HTTP/2 (`framingDriver`). */
export type ServerDriver = ServerSideDriver | FramingServerDriver;

/** How `verify` refuses a request: the HTTP status (4xx or 5xx), headers to send with it, and a plain-text body. */
export interface Refusal {
  /** 400-599. */
  readonly status: number;
  /** Sent with the status (`www-authenticate`, `retry-after`, …); checked as `setHeader()` checks. */
  readonly headers?: ExtraHeaders;
  /** The body, as plain text; the status's reason phrase if left out. */
  readonly message?: string;
}

/**
 * Options of {@link WebSocketServer}: the driver's and the adapter's for
 * every connection (flow control, the handshake timeout and keepalive
 * pings among them: see docs/flow-control.md), and the server's own.
 */
export interface ServerOptions extends NodeDriverOptions {
  /**
   * Which request paths are WebSocket endpoints: one path (`'/chat'`,
   * compared with the request's path without its query), or a function
   * of the path. Other paths are answered 404. Default: every path.
   */
  path?: string | ((path: string) => boolean);
  /**
   * permessage-deflate (RFC 7692) for every connection that offers it:
   * `true` for the defaults, or its options. Default off.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Decides whether to accept a request, after the path and before the
   * handshake: `true` (or nothing) accepts, `false` refuses with 403, a
   * {@link Refusal} refuses with its status and headers. May be async;
   * the connection waits. A throw or rejection refuses with 500 and goes
   * to `onError`.
   */
  verify?: (request: UpgradeRequest) => boolean | void | Refusal | Promise<boolean | void | Refusal>;
  /**
   * Chooses the subprotocol from the client's offers (in its order):
   * return one of them, or null for none. Instead of `protocols`, which
   * picks the first offer found in a fixed list. Returning a protocol
   * that was not offered is a mistake: the request is refused with 500
   * and the error goes to `onError`.
   */
  handleProtocols?: (offers: readonly string[], request: UpgradeRequest) => string | null | undefined;
  /**
   * What each connection runs. A callback object (`onOpen`, `onMessage`,
   * …, as in `wsdriver/callbacks`), bound to every connection; or a
   * function called once per connection, before its handshake, with the
   * driver and the request: it may add listeners to the driver itself, or
   * return a callback object for this one connection (its own state, no
   * lookup table needed).
   */
  handler?: Handler<ServerDriver> | ((driver: ServerDriver, request: UpgradeRequest) => Handler<ServerDriver> | void);
  /**
   * Receives what `verify`, `handleProtocols` or `handler` threw, with the
   * request (undefined for a request that could not be described, and for
   * an `onShutdown` that threw on a connection already open: an open
   * connection does not keep its request).
   * Default: rethrown on a microtask, as an uncaught exception.
   */
  onError?: (error: unknown, request: UpgradeRequest | undefined) => void;
}

/** Options of {@link WebSocketServer.close}. */
export interface ServerCloseOptions {
  /**
   * Milliseconds to wait for every connection to finish its closing
   * handshake; connections still open then are destroyed (their drivers
   * report 1006). Default 10000.
   */
  timeout?: number;
}

/** Default {@link ServerCloseOptions.timeout}. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

const SERVER_KEYS = ['path', 'perMessageDeflate', 'verify', 'handleProtocols', 'handler', 'onError'] as const;

/** Checks the server's own keys; the rest are checked by the driver's and the adapter's checks. */
export function checkServerOptions(options: ServerOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  // Named here with every key a server takes (the driver's own check would list only the driver's).
  const known = [...SERVER_KEYS, 'closeTimeout', 'handshakeTimeout', 'pingInterval', 'pingTimeout', ...Object.keys(DEFAULT_OPTIONS)];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`unknown option '${key}'; known options: ${known.join(', ')}`);
  }
  const { path, perMessageDeflate, verify, handleProtocols, handler, onError, protocols } = options;
  if (path !== undefined && typeof path !== 'function' && !(typeof path === 'string' && path.startsWith('/'))) {
    throw new TypeError("option 'path' must be a path starting with '/' or a function");
  }
  if (perMessageDeflate !== undefined && typeof perMessageDeflate !== 'boolean' && (perMessageDeflate === null || typeof perMessageDeflate !== 'object')) {
    throw new TypeError("option 'perMessageDeflate' must be a boolean or permessage-deflate options");
  }
  for (const [key, value] of [['verify', verify], ['handleProtocols', handleProtocols], ['onError', onError]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`option '${key}' must be a function`);
  }
  if (handler !== undefined && (handler === null || (typeof handler !== 'object' && typeof handler !== 'function'))) {
    throw new TypeError("option 'handler' must be a callback object or a function");
  }
  if (handleProtocols !== undefined && protocols !== undefined) {
    throw new TypeError("options 'protocols' and 'handleProtocols' both choose the subprotocol: give one");
  }
}

/** The options without the server's own keys: what the driver and the adapter take. */
export function withoutServerKeys(options: ServerOptions): NodeDriverOptions {
  const rest: Record<string, unknown> = { ...options };
  for (const key of SERVER_KEYS) delete rest[key];
  return rest as NodeDriverOptions;
}

/** Splits a {@link NodeDriverOptions} into the driver's part and the adapter's. */
export function splitOptions(options: NodeDriverOptions = {}): [DriverOptions, AttachOptions] {
  const { closeTimeout, handshakeTimeout, pingInterval, pingTimeout, ...driverOptions } = options;
  const attachOptions: AttachOptions = {};
  if (closeTimeout !== undefined) attachOptions.closeTimeout = closeTimeout;
  if (handshakeTimeout !== undefined) attachOptions.handshakeTimeout = handshakeTimeout;
  if (pingInterval !== undefined) attachOptions.pingInterval = pingInterval;
  if (pingTimeout !== undefined) attachOptions.pingTimeout = pingTimeout;
  return [driverOptions, attachOptions];
}
