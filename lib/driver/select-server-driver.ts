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
import type { HandshakeRequest } from '../http/request.js';
import { HybiServerDriver } from './hybi-server-driver.js';
import type { ResolvedOptions } from '../options.js';
import type { DraftDriverFactory, ServerSideDriver } from '../connection/server-side.js';
import type { DriverEventMap, Socket } from '../events.js';

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
