/**
 * What a server-side driver offers beyond the common API, whatever its
 * protocol version, and the shape of the draft protocol part through which
 * the hixie drafts plug in (`wsdriver/drafts` registers a factory for it
 * with the driver layer).
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';
import type { HeaderFields } from '../http/head-parser.js';
import type { HandshakeRequest, RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import type { BaseDriver } from './base-driver.js';
import type { ClosingState, ConnectionState } from './connection-state.js';

/** What every server-side driver offers beyond the common API. */
export interface ServerSide {
  /** The request as a Rack-style env. */
  readonly env: RackEnv;
  /** The ws: or wss: URL the request was made to. */
  readonly url: string;
  /** The request's headers by lower-case name. */
  readonly headers: HeaderFields;
  /**
   * Refuses the request instead of accepting it: writes a plain-text HTTP
   * response (400 by default) and ends the driver; `close` fires with 1006.
   * Call instead of `start()`; false once the handshake was sent. Throws a
   * RangeError unless `status` is 4xx or 5xx.
   */
  reject(status?: number, message?: string): boolean;
}

/** A server-side driver of any protocol version. */
export type ServerSideDriver = BaseDriver & ServerSide;

/**
 * What `Driver.server`'s driver offers beyond the common API: as
 * {@link ServerSide}, but it reads the request itself, so `env`, `url` and
 * `headers` are null, and `start()` and `reject()` return false, until
 * `connect`.
 */
export interface HttpServerSide {
  /** Always `'server'`. */
  readonly role: 'server';
  /** The request as a Rack-style env; null until `connect`. */
  readonly env: RackEnv | null;
  /** The ws: or wss: URL the request was made to; null until `connect`. */
  readonly url: string | null;
  /** The request's headers by lower-case name; null until `connect`. */
  readonly headers: HeaderFields | null;
  /** As {@link ServerSide.reject}; false before `connect`. */
  reject(status?: number, message?: string): boolean;
}

/** What `Driver.server` returns, whatever protocol the request turns out to speak. */
export type HttpServerDriver = BaseDriver & HttpServerSide;

/**
 * What a draft protocol part may do to the driver it serves: the driver
 * keeps the state, the queue, the listeners and the deadlines; the part
 * writes bytes and asks for the moves between states.
 */
export interface DraftHost {
  /** Where the connection stands. */
  readonly state: ConnectionState;
  /** Writes bytes to the transport. */
  write(bytes: Uint8Array): void;
  /** The subprotocol agreed in the handshake. */
  agree(protocol: string | null): void;
  /** The handshake completed: send the queue, emit `open`. */
  open(): void;
  /** A text message arrived. */
  message(text: string): void;
  /** Open → closing: the closing handshake began. */
  enterClosing(next: ClosingState): void;
  /** The peer broke the protocol: report and close. */
  fail(error: ProtocolError): void;
  /** Ends the connection and emits `close`. */
  finish(code: number, reason: string, wasClean: boolean): void;
}

/**
 * A pre-RFC protocol (the hixie drafts, lib/drafts/) as a part of
 * `Driver.server`'s or `Driver.rack`'s driver: the hooks that differ from
 * RFC 6455 once the request names the draft. Text messages only.
 */
export interface DraftProtocol {
  /** `hixie-75` or `hixie-76`. */
  readonly version: string;
  /** Bytes of received input held (a text frame not yet ended). */
  readonly retainedBytes: number;
  /** Throws if `setHeader(name)` names a header the draft writes itself. */
  checkHeader(name: string): void;
  /** Checks the request and writes the response; false if it was refused (400). */
  handshake(extraHeaders: ReadonlyArray<readonly [string, string]>): boolean;
  /**
   * Set while delivery is paused: `receive()` stops at the next frame and
   * returns the rest of its chunk unread (docs/flow-control.md).
   */
  holdRest: boolean;
  /**
   * Bytes received after `start()`. Returns what it left unread because
   * `holdRest` was set while it read, if anything; the driver holds that
   * and gives it back on resume.
   */
  receive(bytes: Uint8Array): Uint8Array | void;
  /** Writes a text message on the open connection (a string, or UTF-8 bytes `text()` has checked). */
  sendText(message: string | Uint8Array): boolean;
  /** Starts closing from the open state. */
  closeOpenConnection(code: number, reason: string): void;
  /** The connection failed or closed: read nothing more. */
  stop(): void;
}

/**
 * Makes the draft part for a request, or null if the request is not a
 * draft's (registered by `wsdriver/drafts`). `url` is the connection's URL,
 * sent back as the draft's Location.
 */
export type DraftProtocolFactory = (request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost) => DraftProtocol | null;
