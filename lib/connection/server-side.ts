/**
 * What a server-side driver offers beyond the common API, whatever its
 * protocol version, and the shape of the factory through which the draft
 * drivers plug in (`wsdriver/drafts` registers one with the driver layer).
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { HeaderFields } from '../http/head-parser.js';
import type { HandshakeRequest, RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import type { BaseDriver } from './base-driver.js';

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

/** Makes `Driver.server`'s driver when drafts are allowed (registered by `wsdriver/drafts`). */
export type DraftServerFactory = (socket: Socket, options: ResolvedOptions) => HttpServerDriver;

/** Builds a draft driver for a request, or returns null if it is not a draft request. */
export type DraftDriverFactory = (
  request: HandshakeRequest,
  socket: Socket,
  options: ResolvedOptions,
  hub: EventHub<DriverEventMap> | undefined,
) => ServerSideDriver | null;
