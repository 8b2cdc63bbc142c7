/**
 * The RFC 6455 server driver: answers a handshake request that has already
 * been parsed (by an HTTP server, or by {@link HttpServerDriver}).
 *
 * @module
 */
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { HeaderFields } from '../http/head-parser.js';
import { rackEnvFor, websocketUrlFor, type HandshakeRequest, type RackEnv } from '../http/request.js';
import { encodeHead, errorResponse } from '../http/serialize.js';
import type { ResolvedOptions } from '../options.js';
import { HybiDriver } from '../hybi/hybi-driver.js';
import { checkHandshakeRequest, serverResponseHead, VERSION_HEADER } from '../handshake/server-handshake.js';

/** Server side of an RFC 6455 (or hybi-07/08) connection. */
export class HybiServerDriver extends HybiDriver {
  readonly version: string;
  readonly role = 'server';
  /** The request as a Rack-style env; built on first access, as most servers never read it. */
  get env(): RackEnv {
    return (this.#env ??= rackEnvFor(this.#request));
  }
  /** The URL the request was made to: `socket.url` if set, else from the request. */
  get url(): string {
    return (this.#url ??= websocketUrlFor(this.#request));
  }
  /** The request's headers by lower-case name. */
  readonly headers: HeaderFields;
  readonly #request: HandshakeRequest;
  #env: RackEnv | null;
  // Built on first access, as the env is.
  #url: string | null;

  /**
   * Made by `Driver.server` (once the request head is in) and `Driver.rack`,
   * which check the options and pass the hub of the driver the application
   * holds; use those.
   *
   * @internal
   */
  constructor(
    request: HandshakeRequest,
    socket: Socket,
    options: ResolvedOptions,
    hub?: EventHub<DriverEventMap>,
    env?: RackEnv,
  ) {
    super('server', socket, options, hub);
    this.#request = request;
    this.headers = request.headers;
    this.#env = env ?? null;
    this.#url = socket.url !== undefined ? String(socket.url) : null;
    const version = request.headers['sec-websocket-version'];
    this.version = version === '7' ? 'hybi-7' : version === '8' ? 'hybi-8' : 'hybi-13';
  }

  /** A server that has not answered by the handshake deadline answers 408. */
  protected override get answersHttp(): boolean {
    return true;
  }


  protected handshake(): boolean {
    const request = this.#request;
    const error = checkHandshakeRequest(request);
    if (error !== null) {
      // §4.2.2: an unsupported version is answered 426 with the versions we speak.
      const unsupported = error.code === 'HANDSHAKE_UNSUPPORTED_VERSION';
      this.socket.write(errorResponse(unsupported ? 426 : 400, error.message, unsupported ? VERSION_HEADER : ''));
      this.failConnection(error);
      return false;
    }
    const negotiated = this.negotiateOffers(request.headers['sec-websocket-protocol'], request.headers['sec-websocket-extensions']);
    if ('error' in negotiated) {
      this.socket.write(errorResponse(negotiated.status, negotiated.error.message));
      this.failConnection(negotiated.error);
      return false;
    }
    const head = serverResponseHead(
      request.headers['sec-websocket-key']!,
      this.protocol,
      negotiated.extensions,
      this.outgoingHeaderLines,
    );
    this.socket.write(encodeHead(head));
    this.openConnection();
    return true;
  }

  /**
   * Refuses the request instead of accepting it: writes a plain-text HTTP
   * response (400 by default) and ends the driver; `close` fires with 1006
   * since no WebSocket connection was made. Call instead of `start()`.
   */
  reject(status = 400, message = 'Bad Request'): boolean {
    return this.refuseHandshake(status, message);
  }
}

