/**
 * Which draft a request speaks, when `allowDrafts` is on: a request with
 * `Sec-WebSocket-Key1` or `Sec-WebSocket-Key2` is hixie-76 (one without the
 * other is then refused with a clear 400); any other `Upgrade: WebSocket`
 * request without `Sec-WebSocket-Version` or `Sec-WebSocket-Key` is
 * hixie-75. Everything else is RFC 6455's, which answers a faulty request
 * with 400 or 426.
 *
 * @module
 */
import type { DraftHost, DraftProtocol } from '../connection/server-side.js';
import type { HandshakeRequest } from '../http/request.js';
import { hasToken } from '../http/tokens.js';
import type { ResolvedOptions } from '../options.js';
import { Hixie75Protocol } from './hixie75-protocol.js';
import { Hixie76Protocol } from './hixie76-protocol.js';

/** The draft a request speaks, or null if it is not a draft request. */
export function draftVersionOf(request: HandshakeRequest): 'hixie-75' | 'hixie-76' | null {
  const headers = request.headers;
  // RFC 6455 and hybi-07 on send both; a request with either is not a draft.
  if (headers['sec-websocket-version'] !== undefined || headers['sec-websocket-key'] !== undefined) return null;
  if (headers['sec-websocket-key1'] !== undefined || headers['sec-websocket-key2'] !== undefined) return 'hixie-76';
  if (hasToken(headers['upgrade'], 'websocket')) return 'hixie-75';
  return null;
}

/**
 * The draft protocol part for a request, or null (see the module comment).
 * Registered with the server driver layer when `wsdriver/drafts` loads.
 *
 * @internal
 */
export function draftProtocolFor(request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost): DraftProtocol | null {
  switch (draftVersionOf(request)) {
    case 'hixie-76':
      return new Hixie76Protocol(request, url, options, host);
    case 'hixie-75':
      return new Hixie75Protocol(request, url, options, host);
    default:
      return null;
  }
}
