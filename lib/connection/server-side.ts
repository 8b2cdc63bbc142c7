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

/** Builds a draft driver for a request, or returns null if it is not a draft request. */
export type DraftDriverFactory = (
  request: HandshakeRequest,
  socket: Socket,
  options: ResolvedOptions,
  hub: EventHub<DriverEventMap> | undefined,
) => ServerSideDriver | null;
