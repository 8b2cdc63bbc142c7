/**
 * websocket-driver's `http(request, options)`: a server-side driver for a
 * request an HTTP server has already parsed (faye-websocket's server, so
 * sockjs). The engine's `Driver.rack` driver underneath; a hixie request
 * gets the engine's draft driver when `allowDrafts` is on.
 *
 * @module
 */
import { Driver, type IncomingMessageLike } from '../../../lib/index.js';
import { selectSubprotocol } from '../../../lib/handshake/server-handshake.js';
import { IoSocket, LegacyDriver } from './base.js';
import { engineOptions, type LegacyOptions } from './options.js';
import { WEBSOCKET_DRIVER_RULES, type RequestFacts } from './rules.js';

/** A request as websocket-driver reads it: Node's IncomingMessage, or anything with `method`, `url` and `headers`. */
export interface LegacyRequest extends IncomingMessageLike {
  readonly connection?: { readonly authorized?: boolean } | null;
  readonly socket?: { readonly secure?: boolean } | null;
}

/** True if the request came over TLS, or a proxy in front says so (websocket-driver's rules). */
export function isSecureRequest(request: LegacyRequest): boolean {
  if (request.connection && request.connection.authorized !== undefined) return true;
  if (request.socket && request.socket.secure) return true;
  const headers = request.headers;
  if (!headers) return false;
  if (headers['https'] === 'on') return true;
  if (headers['x-forwarded-ssl'] === 'on') return true;
  if (headers['x-forwarded-scheme'] === 'https') return true;
  if (headers['x-forwarded-proto'] === 'https') return true;
  return false;
}

/** The ws: or wss: URL of a request: scheme, Host header, request target. */
export function determineUrl(request: LegacyRequest): string {
  return (isSecureRequest(request) ? 'wss:' : 'ws:') + '//' + request.headers['host'] + request.url;
}

/** The server-side driver; see the module comment. */
export class HttpDriver extends LegacyDriver {
  /** The ws: or wss: URL the request was made to. */
  readonly url: string;
  /** The subprotocol chosen from the request, or undefined. */
  readonly protocol: string | undefined;
  readonly #version: string;
  readonly #request: LegacyRequest;

  constructor(request: LegacyRequest, options?: LegacyOptions | null) {
    super();
    this.#request = request;
    const resolved = engineOptions(options);
    this.maxLength = resolved.maxLength!;
    this.url = determineUrl(request);
    const offered = request.headers['sec-websocket-protocol'];
    const offer = Array.isArray(offered) ? offered.join(', ') : (offered as string | undefined);
    // websocket-driver picks it when the driver is made, so it is readable before start().
    this.protocol = offer === undefined ? undefined : (selectSubprotocol(offer, resolved.protocols ?? []) ?? undefined);
    const engine = Driver.rack(new IoSocket(this, request, this.url), { ...resolved, compat: WEBSOCKET_DRIVER_RULES });
    const draft = engine.version.startsWith('hixie');
    this.#version = draft ? engine.version : 'hybi-13';
    this.attach(engine);
  }

  protected override requestToCheck(): RequestFacts | null {
    return this.#version.startsWith('hixie') ? null : this.#request;
  }

  /** `'hybi-13'`, or `'hixie-76'` / `'hixie-75'` with `allowDrafts`. */
  get version(): string {
    return this.#version ?? 'hybi-13';
  }

}
