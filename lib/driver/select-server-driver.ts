/**
 * Picks the server-side driver for a request from its headers: RFC 6455
 * (hybi-07 to 17) by default, or one that speaks a legacy draft when
 * `allowDrafts` is on and the drafts have been loaded.
 *
 * The drafts register themselves here when `wsdriver/drafts` is imported,
 * so applications that never use them do not bundle them: which draft a
 * request speaks, the draft protocol parts, and the server driver that
 * takes one on once the request names a draft (`Driver.server`'s with
 * drafts allowed, which reads the request before it knows the protocol).
 *
 * @module
 */
import type { HandshakeRequest } from '../http/request.js';
import { HybiServerDriver } from './hybi-server-driver.js';
import type { ResolvedOptions } from '../options.js';
import type {
  DraftHost,
  DraftProtocol,
  DraftProtocolFactory,
  HttpServerDriver,
  ServerSideDriver,
} from '../connection/server-side.js';
import type { Socket } from '../events.js';

/**
 * Makes the driver that may speak a draft: `Driver.server`'s (`request`
 * null), or `Driver.rack`'s for a request, null if it names no draft.
 */
export type DraftServerFactory = (socket: Socket, options: ResolvedOptions, request: HandshakeRequest | null) => HttpServerDriver | null;

let draftVersion: ((request: HandshakeRequest) => string | null) | null = null;
let draftProtocols: DraftProtocolFactory | null = null;
let draftServerFactory: DraftServerFactory | null = null;

/**
 * Called by `wsdriver/drafts` to make the drafts available: which draft a
 * request speaks, the protocol part for it, and the server driver that
 * takes one on.
 */
export function registerDrafts(
  versionOf: (request: HandshakeRequest) => string | null,
  protocols: DraftProtocolFactory,
  serverFactory: DraftServerFactory,
): void {
  draftVersion = versionOf;
  draftProtocols = protocols;
  draftServerFactory = serverFactory;
}

/** The draft a request speaks (`hixie-75`, `hixie-76`), or null if none (or the drafts are not loaded). */
export function draftVersionFor(request: HandshakeRequest): string | null {
  return draftVersion?.(request) ?? null;
}

/** The draft protocol part for a request, or null if it names no draft (or the drafts are not loaded). */
export function draftProtocolFor(request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost): DraftProtocol | null {
  return draftProtocols?.(request, url, options, host) ?? null;
}

/** `Driver.server`'s driver when `allowDrafts` is set (checked by {@link checkDraftSupport}), else null. */
export function draftServerFor(socket: Socket, options: ResolvedOptions): HttpServerDriver | null {
  return options.allowDrafts && draftServerFactory !== null ? draftServerFactory(socket, options, null) : null;
}

/** Throws if `allowDrafts` is set but the drafts were not loaded. */
export function checkDraftSupport(options: ResolvedOptions): void {
  if (options.allowDrafts && draftServerFactory === null) {
    throw new Error("allowDrafts needs the hixie drafts: import 'wsdriver/drafts' first");
  }
}

/** The driver for `request`; see the module comment. */
export function selectServerDriver(request: HandshakeRequest, socket: Socket, options: ResolvedOptions): ServerSideDriver {
  // Every hybi draft from 07 on, and RFC 6455, send Sec-WebSocket-Version.
  if (options.allowDrafts && draftServerFactory !== null && request.headers['sec-websocket-version'] === undefined) {
    // Made with the request, so `env`, `url` and `headers` are never null.
    const draft = draftServerFactory(socket, options, request) as ServerSideDriver | null;
    if (draft !== null) return draft;
  }
  return new HybiServerDriver(request, socket, options);
}
