/**
 * Picks the server-side driver for a request from its headers: RFC 6455
 * (hybi-07 to 17) by default, or a legacy draft when `allowDrafts` is on
 * and the draft drivers have been loaded.
 *
 * The draft drivers register themselves here when `wsdriver/drafts` is
 * imported, so applications that never use them do not bundle them; so
 * does the driver `Driver.server` makes when drafts are allowed, which
 * reads the request before it knows the protocol.
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { HandshakeRequest } from '../http/request.js';
import { HybiServerDriver } from './hybi-server-driver.js';
import type { ResolvedOptions } from '../options.js';
import type { DraftDriverFactory, DraftServerFactory, HttpServerDriver, ServerSideDriver } from '../connection/server-side.js';
import type { DriverEventMap, Socket } from '../events.js';

let draftFactory: DraftDriverFactory | null = null;
let draftServerFactory: DraftServerFactory | null = null;

/** Called by `wsdriver/drafts` to make the draft drivers available. */
export function registerDraftDrivers(factory: DraftDriverFactory, serverFactory: DraftServerFactory): void {
  draftFactory = factory;
  draftServerFactory = serverFactory;
}

/** `Driver.server`'s driver when `allowDrafts` is set (checked by {@link checkDraftSupport}), else null. */
export function draftServerFor(socket: Socket, options: ResolvedOptions): HttpServerDriver | null {
  return options.allowDrafts && draftServerFactory !== null ? draftServerFactory(socket, options) : null;
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
