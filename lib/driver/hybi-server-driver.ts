/**
 * The RFC 6455 server drivers: {@link HybiServerDriver} answers a request
 * an HTTP server has already parsed (`Driver.rack`); `HttpServerDriver`
 * (`Driver.server`) reads the request itself first, then answers it the
 * same way. What they share, the handshake and `reject()`, is
 * {@link HybiServerBase}.
 *
 * @module
 */
import type { Socket } from '../events.js';
import type { HeaderFields } from '../http/head-parser.js';
import { rackEnvFor, websocketUrlFor, type HandshakeRequest, type RackEnv } from '../http/request.js';
import { encodeHead, errorResponse } from '../http/serialize.js';
import type { ResolvedOptions } from '../options.js';
import { HybiDriver } from '../hybi/hybi-driver.js';
import { checkHandshakeRequest, serverResponseHead, VERSION_HEADER } from '../handshake/server-handshake.js';

/**
 * Server side of an RFC 6455 (or hybi-07/08) connection, for a request
 * given at construction or (`Request` including null) read later.
 */
export abstract class HybiServerBase<Request extends HandshakeRequest | null> extends HybiDriver {
  declare readonly role: 'server';
  /**
   * The handshake request; null while `Driver.server` is still reading it.
   *
   * @internal
   */
  declare protected request: Request;
  // The env and URL, built on first access: most servers never read them.
  declare private rackEnv: RackEnv | null;
  declare private requestUrl: string | null;

  /**
   * Made through the concrete drivers, which the `Driver` factories create;
   * use those.
   *
   * @internal
   */
  constructor(request: Request, socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    // Every field is set here, in the order declared: no field initializers (see BaseDriver).
    this.role = 'server';
    this.request = request;
    this.rackEnv = null;
    this.requestUrl = socket.url !== undefined ? String(socket.url) : null;
  }

  /** `hybi-13`, or `hybi-7`/`hybi-8` for those drafts' clients; '' until the request is known. */
  get version(): string {
    const request = this.request;
    if (request === null) return '';
    const version = request.headers['sec-websocket-version'];
    return version === '7' ? 'hybi-7' : version === '8' ? 'hybi-8' : 'hybi-13';
  }

  /**
   * The request as a Rack-style env.
   *
   * @internal
   */
  protected envOf(request: HandshakeRequest): RackEnv {
    return (this.rackEnv ??= rackEnvFor(request));
  }

  /**
   * The URL the request was made to: `socket.url` if set, else from the request.
   *
   * @internal
   */
  protected urlOf(request: HandshakeRequest): string {
    return (this.requestUrl ??= websocketUrlFor(request));
  }

  /** A server that has not answered by the handshake deadline answers 408. */
  protected override get answersHttp(): boolean {
    return true;
  }

  protected handshake(): boolean {
    // start() is refused until the request is in (see HttpServerDriver).
    const request = this.request!;
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

/** Server side of an RFC 6455 connection whose request an HTTP server has parsed. */
export class HybiServerDriver extends HybiServerBase<HandshakeRequest> {
  /** The request as a Rack-style env; built on first access. */
  get env(): RackEnv {
    return this.envOf(this.request);
  }
  /** The URL the request was made to: `socket.url` if set, else from the request. */
  get url(): string {
    return this.urlOf(this.request);
  }
  /** The request's headers by lower-case name. */
  get headers(): HeaderFields {
    return this.request.headers;
  }
}
