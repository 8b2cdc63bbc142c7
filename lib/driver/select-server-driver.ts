/**
 * Picks the server-side driver for a request from its headers: RFC 6455
 * (hybi-07 to 17) by default, or a legacy draft when `allowDrafts` is on
 * and the draft drivers have been loaded.
 *
 * The draft drivers register themselves here when `wsdriver/drafts` is
 * imported, so applications that never use them do not bundle them.
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { RackEnv, HandshakeRequest } from '../http/request.js';
import type { HeaderFields } from '../http/head-parser.js';
import { HybiServerDriver } from '../hybi/hybi-server-driver.js';
import type { ResolvedOptions } from '../options.js';
import type { BaseDriver } from './base-driver.js';
import type { DriverEventMap, Socket } from './events.js';

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

let draftFactory: DraftDriverFactory | null = null;

/** Called by `wsdriver/drafts` to make the draft drivers available. */
export function registerDraftDrivers(factory: DraftDriverFactory): void {
  draftFactory = factory;
}

/** Throws if `allowDrafts` is set but the draft drivers were not loaded. */
export function checkDraftSupport(options: ResolvedOptions): void {
  if (options.allowDrafts && draftFactory === null) {
    throw new Error("allowDrafts needs the draft drivers: import 'wsdriver/drafts' first");
  }
}

/** The driver for `request`; see the module comment. */
export function selectServerDriver(
  request: HandshakeRequest,
  socket: Socket,
  options: ResolvedOptions,
  hub?: EventHub<DriverEventMap>,
): ServerSideDriver {
  // Every hybi draft from 07 on, and RFC 6455, send Sec-WebSocket-Version.
  if (options.allowDrafts && draftFactory !== null && request.headers['sec-websocket-version'] === undefined) {
    const draft = draftFactory(request, socket, options, hub);
    if (draft !== null) return draft;
  }
  return new HybiServerDriver(request, socket, options, hub);
}
