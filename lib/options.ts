/**
 * Every option a driver takes, its default, and its validation.
 *
 * All sizes are counted in bytes. An unknown key, or a value of the wrong
 * type or range, is a caller mistake and throws at once.
 *
 * @module
 */
import type { CompatHooks } from './compat-hooks.js';
import type { FrameTracer } from './frame/frame-trace.js';
import { isToken } from './http/tokens.js';

/**
 * Options accepted by {@link Driver.server}, {@link Driver.rack},
 * {@link Driver.client} and {@link framingDriver}. Every field is optional.
 */
export interface DriverOptions {
  /**
   * Largest data frame payload, and largest reassembled message, accepted
   * from the peer. Checked when a frame's length is read, before any of its
   * payload is buffered; a larger frame or message fails the connection
   * with `MESSAGE_TOO_LONG` and close code 1009. For compressed messages it
   * bounds the inflated size, checked as the inflater runs. Control frames
   * are bounded by RFC 6455's 125 bytes instead, so a close frame is always
   * readable. Also bounds input held before `start()`
   * (`INPUT_BEFORE_START_TOO_LARGE`, 1009). A message being assembled holds
   * at most about four times the bytes that have arrived plus 16 KiB (a frame
   * of up to 1 MiB gathered whole; other partial messages twice), so at most
   * about `2 * maxLength + 64 KiB`, however finely it is fragmented or
   * chunked and whatever size its frames announce (see `retainedBytes`).
   * Default `2 ** 26 - 1` (1 byte short of 64 MiB), as in websocket-driver.
   */
  maxLength?: number;
  /**
   * Subprotocols this endpoint speaks, in order of preference. A client
   * offers them all; a server picks the first of the client's offers that
   * appears here. Each must be an HTTP token. Default none.
   */
  protocols?: readonly string[];
  /**
   * Server only: fail the connection on an unmasked frame
   * (`UNMASKED_FRAME`, 1002), as RFC 6455 §5.1 requires. Turn off only for peers known to send
   * unmasked frames over a trusted transport. Default `true`.
   */
  requireMasking?: boolean;
  /** Answer each ping with a pong carrying its payload. Default `true`. */
  autoPong?: boolean;
  /**
   * Split outgoing data messages into frames of at most this many payload
   * bytes. Default `Infinity` (each message in one frame).
   */
  fragmentSize?: number;
  /**
   * Largest HTTP head (request or response line plus headers, with the
   * blank line) accepted: the handshake request, the handshake response, a
   * proxy's answer. A larger head fails the handshake with
   * `HTTP_HEAD_TOO_LARGE` (a server answers 431; both sides report close
   * code 1009). It also bounds every header value, so
   * `Sec-WebSocket-Extensions` and its parameters. At least 64.
   * Default 16384.
   */
  maxHeadSize?: number;
  /**
   * Most header lines accepted in an HTTP head; more fail the handshake
   * with `HTTP_TOO_MANY_HEADERS` (a server answers 431; both sides report
   * close code 1009). Default 100.
   */
  maxHeaders?: number;
  /**
   * Most bytes of messages queued by `text()`/`binary()`/`ping()`/`pong()`
   * before the connection opens; past it those calls return `false` (no
   * error event: the caller, not the peer, went over). Each queued message
   * counts its payload plus {@link QUEUED_ENTRY_OVERHEAD} bytes, so empty
   * messages are bounded too. Default 16 MiB.
   */
  maxQueuedBytes?: number;
  /**
   * Most `ping()` callbacks waiting for their pong; past it `ping()` with a
   * callback returns `false` (no error event). Default 1024.
   */
  maxPendingPings?: number;
  /**
   * Most bytes the transport and the driver may hold unsent before
   * `text()` and `binary()` return `false` and send nothing (wait for
   * `drain`). A message that would go past it is refused, except on an empty
   * buffer, so one message larger than the bound still goes out. Counts
   * what the socket reports as its `bufferedAmount` plus what the driver
   * holds (see docs/flow-control.md). Control frames are never refused.
   * Default 16 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * Most bytes `parse()` holds unread while delivery is paused
   * (`pause()`, or a pong waiting for a backed-up transport); more fails
   * the connection with `PAUSED_INPUT_TOO_LARGE` (1009). The adapters stop
   * reading the transport while paused, so only what was in flight
   * arrives. Default 1 MiB.
   */
  maxPausedBytes?: number;
  /**
   * Deliver data messages as they arrive instead of whole: `messagestart`
   * (the type), `messagepiece` for each piece (text decoded and checked as
   * UTF-8 piece by piece, 1007 in the piece that holds a bad sequence;
   * binary as views into the input), then `messageend`; `message` is not
   * emitted. Control frames are still delivered between pieces. With an
   * extension negotiated, messages are delivered whole, as without this
   * option. Default `false`.
   */
  streamMessages?: boolean;
  /**
   * Deliver text as a string (`true`, the default) or as its bytes
   * (`false`): a `Uint8Array` of UTF-8, checked exactly as a string would
   * be (RFC 6455 §8.1: 1007 in the piece that holds a bad sequence), with
   * `type: 'text'` on the event. For an application that relays text or
   * parses it from bytes (a proxy, a byte-level JSON parser): it skips
   * the decode to a string, and `text(bytes)` sends such bytes back
   * without an encode. Applies to `message` and, with `streamMessages`,
   * to `messagepiece` (a character split between pieces is split in the
   * bytes too). RFC 6455 connections only: the hixie drafts always
   * deliver strings.
   */
  decodeText?: boolean;
  /**
   * With `streamMessages`, the largest streamed message accepted (the sum
   * of its frames' payloads); `maxLength` does not apply to streamed
   * messages, since none of it is buffered. Larger fails with
   * `MESSAGE_TOO_LONG` (1009). Default `Infinity`.
   */
  maxStreamedMessageSize?: number;
  /**
   * Server side: also accept the pre-RFC drafts hixie-75 and hixie-76.
   * Needs the `wsdriver/drafts` module to be imported. Default `false`.
   */
  allowDrafts?: boolean;
  /**
   * Compat-only, for packages/websocket-driver-compat: websocket-driver
   * 0.8.0's observable quirks in place of RFC 6455 rules. Default null.
   *
   * @internal
   */
  compat?: CompatHooks | null;
  /**
   * Debugging: called with each RFC 6455 frame read and written, in
   * readable form (direction, opcode name, fin, rsv, masked, length, a
   * short payload preview): `trace: traceFrames((f) => console.debug(f))`
   * (`traceFrames` from `wsdriver`; taking the tracer rather than the
   * function keeps the formatter out of bundles that never trace).
   * Incoming frames are reported once their payload is in, before the
   * driver acts on them. With it unset, nothing is traced and nothing is
   * checked per frame. The hixie drafts ignore it. Default `null`.
   */
  trace?: FrameTracer | null;
}

/**
 * Header fields to add to a request or response, by name, checked as
 * `setHeader()` checks them (names are tokens; no CR, LF or other control
 * characters in values; not a header the driver sets itself).
 */
export type ExtraHeaders = Readonly<Record<string, string | number>>;

/**
 * The `headers` option, the same wherever a request of this library's own
 * is sent: `httpProxy()`'s CONNECT, and the Node adapter's clients.
 */
export interface HeadersOption {
  /** Headers added to the request, as by `setHeader()` (`origin`, `authorization`, …). */
  headers?: ExtraHeaders;
}

/** Options of `httpProxy(driver, url, options)`. */
export interface ProxyOptions extends HeadersOption {}

/**
 * What one message queued before `open` counts toward `maxQueuedBytes`
 * beyond its payload: about what its queue entry takes in memory, so that
 * `text('')` in a loop stops too.
 */
export const QUEUED_ENTRY_OVERHEAD = 64;

/** {@link DriverOptions} with every default filled in. */
export type ResolvedOptions = Required<Omit<DriverOptions, 'protocols'>> & {
  /** See {@link DriverOptions.protocols}; frozen. */
  readonly protocols: readonly string[];
};

/** The defaults, frozen; documented on {@link DriverOptions}. */
export const DEFAULT_OPTIONS: Readonly<ResolvedOptions> = Object.freeze({
  maxLength: 2 ** 26 - 1,
  protocols: Object.freeze([]) as readonly string[],
  requireMasking: true,
  autoPong: true,
  fragmentSize: Infinity,
  maxHeadSize: 16 * 1024,
  maxHeaders: 100,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxPendingPings: 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxPausedBytes: 1024 * 1024,
  streamMessages: false,
  decodeText: true,
  maxStreamedMessageSize: Infinity,
  allowDrafts: false,
  compat: null,
  trace: null,
});

const KNOWN_KEYS = new Set(Object.keys(DEFAULT_OPTIONS));

/** Fills in defaults and checks every value; throws on a caller mistake. */
export function resolveOptions(options: DriverOptions | undefined): ResolvedOptions {
  if (options === undefined || options === null) return DEFAULT_OPTIONS;
  if (typeof options !== 'object') throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new TypeError(`unknown option '${key}'; known options: ${[...KNOWN_KEYS].join(', ')}`);
    }
  }
  const resolved = copyOf(DEFAULT_OPTIONS);
  for (const [key, value] of Object.entries(options) as [keyof DriverOptions, unknown][]) {
    if (value === undefined) continue;
    switch (key) {
      case 'protocols':
        resolved.protocols = checkProtocols(value);
        break;
      case 'requireMasking':
      case 'autoPong':
      case 'streamMessages':
      case 'decodeText':
      case 'allowDrafts':
        if (typeof value !== 'boolean') throw new TypeError(`option '${key}' must be a boolean`);
        resolved[key] = value;
        break;
      case 'compat':
        // Internal, from packages/websocket-driver-compat only: not checked.
        resolved.compat = value as CompatHooks | null;
        break;
      case 'fragmentSize':
        resolved.fragmentSize = checkSize(key, value, 1, true);
        break;
      case 'maxStreamedMessageSize':
        resolved.maxStreamedMessageSize = checkSize(key, value, 0, true);
        break;
      case 'maxLength':
        // Lengths past 2^53 cannot be counted exactly in a JS number.
        resolved.maxLength = checkSize(key, value, 0, false);
        break;
      case 'trace':
        resolved.trace = checkTracer(value);
        break;
      case 'maxHeadSize':
        resolved.maxHeadSize = checkSize(key, value, 64, false);
        break;
      default:
        resolved[key] = checkSize(key, value, 0, false);
    }
  }
  // Every connection keeps its options: those that change nothing share the defaults.
  const unchanged = (Object.keys(DEFAULT_OPTIONS) as Array<keyof ResolvedOptions>).every((key) =>
    key === 'protocols' ? resolved.protocols.length === 0 : resolved[key] === DEFAULT_OPTIONS[key],
  );
  return unchanged ? DEFAULT_OPTIONS : Object.freeze(resolved);
}

/**
 * A copy as an object literal naming every key: its fields are stored in
 * the object itself (a spread copy of this many keys gets a separate
 * property store, about 300 bytes more per connection).
 */
function copyOf(options: ResolvedOptions): { -readonly [K in keyof ResolvedOptions]: ResolvedOptions[K] } {
  return {
    maxLength: options.maxLength,
    protocols: options.protocols,
    requireMasking: options.requireMasking,
    autoPong: options.autoPong,
    fragmentSize: options.fragmentSize,
    maxHeadSize: options.maxHeadSize,
    maxHeaders: options.maxHeaders,
    maxQueuedBytes: options.maxQueuedBytes,
    maxPendingPings: options.maxPendingPings,
    maxBufferedBytes: options.maxBufferedBytes,
    maxPausedBytes: options.maxPausedBytes,
    streamMessages: options.streamMessages,
    decodeText: options.decodeText,
    maxStreamedMessageSize: options.maxStreamedMessageSize,
    allowDrafts: options.allowDrafts,
    compat: options.compat,
    trace: options.trace,
  };
}

function checkTracer(value: unknown): FrameTracer | null {
  if (value === null) return null;
  if (typeof value === 'function') {
    throw new TypeError("option 'trace' takes traceFrames(listener), not the listener itself (import { traceFrames } from 'wsdriver')");
  }
  const tracer = value as Partial<FrameTracer>;
  if (typeof value !== 'object' || typeof tracer.reading !== 'function' || typeof tracer.writing !== 'function') {
    throw new TypeError("option 'trace' must be traceFrames(listener) or null");
  }
  return value as FrameTracer;
}

function checkSize(key: string, value: unknown, min: number, allowInfinity: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`option '${key}' must be a number`);
  }
  if (allowInfinity && value === Infinity) return value;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`option '${key}' must be an integer from ${min} to 2^53 - 1`);
  }
  return value;
}

function checkProtocols(value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw new TypeError("option 'protocols' must be an array of strings");
  for (const protocol of value) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw new TypeError(`subprotocol ${JSON.stringify(protocol)} is not an HTTP token`);
    }
  }
  return Object.freeze([...(value as string[])]);
}
