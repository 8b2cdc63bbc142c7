/**
 * RFC 6455 framing with no HTTP/1.1 handshake: the messages, ping/pong and
 * closing handshake of {@link HybiDriver} over a stream whose opening
 * handshake happened elsewhere. The main case is WebSocket over HTTP/2
 * (RFC 8441): the handshake is an extended CONNECT exchanged as HTTP/2
 * headers, then "the peers should proceed with the WebSocket Protocol
 * using the HTTP/2 stream from the CONNECT transaction as if it were the
 * TCP connection" (§5). Any other pre-negotiated byte stream works too.
 *
 * The driver writes frames only, never a head. Negotiation goes through
 * headers the application carries:
 * - server: `respond(requestHeaders)` checks the request and returns the
 *   status and headers to answer with; send them, then call `start()`;
 * - client: send `requestHeaders()`, then pass the response's headers to
 *   `acceptResponse()`, which opens the connection or fails it.
 * Either side may skip negotiation and call `start()` on a stream that is
 * already agreed on: the connection opens with no subprotocol and no
 * extensions.
 *
 * Masking is as RFC 6455 says (RFC 8441 changes nothing in the framing):
 * the client masks every frame, the server requires masked frames.
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import type { Socket } from '../events.js';
import type { Extension } from '../extensions/extension.js';
import { createHeaderFields, type HeaderFields } from '../http/head-parser.js';
import { rackEnvFor, websocketUrlFor, type RackEnv } from '../http/request.js';
import {
  checkExtendedConnectRequest,
  checkExtendedConnectResponse,
  CONNECTION_SPECIFIC_HEADERS,
  extendedConnectRequestHeaders,
  extendedConnectResponseHeaders,
  handshakeRequestOf,
  readHeaderFields,
  WEBSOCKET_VERSION,
  type Http2HeaderInput,
} from '../http2/extended-connect.js';
import type { ResolvedOptions } from '../options.js';
import { parseWebSocketUrl, type WebSocketUrl } from '../handshake/client-handshake.js';
import { HybiDriver } from '../hybi/hybi-driver.js';

/** Which end of the stream a framing driver is: the client masks, the server requires masks. */
export type FramingRole = 'server' | 'client';

/** The server's answer to an extended CONNECT, from {@link FramingServerDriver.respond}. */
export interface FramingResponse {
  /** 200 to accept; 400, 431, 500 or 501 to refuse. */
  readonly status: number;
  /** Header fields to answer with (lower-case names, no `:status`). */
  readonly headers: HeaderFields;
  /** Why the request was refused (also emitted as `error`), or null when accepted. */
  readonly error: ProtocolError | null;
}

/** What the two framing drivers share: negotiation happens once, before `start()`. */
export abstract class FramingDriver extends HybiDriver {
  readonly version = 'hybi-13';
  /** Which end this driver is: `'client'` masks every frame it sends (RFC 6455 §5.3), `'server'` never does and, unless `requireMasking` is off, refuses unmasked frames (§5.1). */
  abstract override readonly role: FramingRole;
  private hasStarted = false;
  private hasNegotiated = false;

  /** True once `start()` has been called. */
  protected get started(): boolean {
    return this.hasStarted;
  }

  /** True once the headers were computed: the extensions and headers are then fixed. */
  protected get negotiated(): boolean {
    return this.hasNegotiated;
  }

  /** Records that the handshake headers were made (or refused): no more headers or extensions. */
  protected markNegotiated(): void {
    this.hasNegotiated = true;
  }

  override start(): boolean {
    this.hasStarted = true;
    return super.start();
  }

  /**
   * Adds a header to the handshake headers this side computes. Call before
   * `respond()`/`requestHeaders()`. Besides `setHeader`'s usual checks,
   * throws on a header HTTP/2 forbids (`connection`, `keep-alive`, …).
   */
  override setHeader(name: string, value: string | number): void {
    if (this.hasNegotiated) throw new Error('setHeader() must be called before the handshake headers are made');
    if (typeof name === 'string' && CONNECTION_SPECIFIC_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`header ${name} is connection-specific and not allowed in HTTP/2 (RFC 9113 §8.2.2)`);
    }
    super.setHeader(name, value);
  }

  /** As {@link BaseDriver.addExtension}; call before `respond()`/`requestHeaders()`. */
  override addExtension(extension: Extension): boolean {
    if (this.hasNegotiated) throw new Error('addExtension() must be called before the handshake headers are made');
    return super.addExtension(extension);
  }

  protected handshake(): boolean {
    // Nothing to write: the handshake went through headers, or happened elsewhere.
    this.openConnection();
    return true;
  }
}

/** The server end of a framing connection; see the module comment. */
export class FramingServerDriver extends FramingDriver {
  /** Always `'server'`: frames go out unmasked, and unmasked frames from the client are refused unless `requireMasking` is off (RFC 6455 §5.1). */
  readonly role = 'server';
  /** The URL the request was made to: `socket.url`, else from the request's pseudo-headers; null before `respond()`. */
  url: string | null;
  /** The request's header fields by lower-case name, pseudo-headers included; empty before `respond()`. */
  headers: HeaderFields = createHeaderFields();
  /** The request as a Rack-style env (REQUEST_METHOD is CONNECT); null before `respond()`. */
  env: RackEnv | null = null;

  /**
   * Made by `framingDriver(socket, 'server')`, which checks the options; use that.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    this.url = socket.url !== undefined ? String(socket.url) : null;
  }

  /**
   * Checks an extended CONNECT request (RFC 8441) and negotiates from its
   * headers: the subprotocol (the first of the client's offers in
   * `options.protocols`) and the extensions added with `addExtension()`.
   * Returns the answer to send: 200 and the negotiated headers, after
   * which call `start()`; or a refusal (400, 431, 500 or 501, with the
   * reason in `error`), in which case the driver has already emitted
   * `error` and `close` and `start()` does nothing. Call once, before
   * `start()`.
   */
  respond(request: Http2HeaderInput): FramingResponse {
    if (this.negotiated) throw new Error('respond() may be called once');
    if (this.started) throw new Error('respond() must be called before start()');
    if (this.state.kind === 'closed') throw new Error('the driver is closed');
    this.markNegotiated();
    return this.hub.run(() => {
      const fields = readHeaderFields(request, this.options);
      if (fields instanceof ProtocolError) return this.refuse(fields.code === 'HANDSHAKE_BAD_REQUEST' ? 400 : 431, fields);
      this.headers = fields;
      const handshake = handshakeRequestOf(fields);
      this.env = rackEnvFor(handshake);
      this.url ??= websocketUrlFor(handshake);
      const fault = checkExtendedConnectRequest(fields);
      if (fault !== null) return this.refuse(fault.status, fault.error);
      const negotiated = this.negotiateOffers(fields['sec-websocket-protocol'], fields['sec-websocket-extensions']);
      if ('error' in negotiated) return this.refuse(negotiated.status, negotiated.error);
      return {
        status: 200,
        headers: extendedConnectResponseHeaders(this.protocol, negotiated.extensions, this.outgoingHeaders),
        error: null,
      };
    });
  }

  private refuse(status: number, error: ProtocolError): FramingResponse {
    // RFC 6455 §4.4: tell the client which version we speak. (426, the
    // HTTP/1.1 status, asks for an Upgrade, which HTTP/2 does not have.)
    const headers: HeaderFields =
      error.code === 'HANDSHAKE_UNSUPPORTED_VERSION' ? { 'sec-websocket-version': WEBSOCKET_VERSION } : {};
    this.failConnection(error);
    return { status, headers, error };
  }
}

/** The client end of a framing connection; see the module comment. */
export class FramingClientDriver extends FramingDriver {
  /** Always `'client'`: every frame goes out masked with a fresh key (RFC 6455 §5.3). */
  readonly role = 'client';
  /** The URL from `socket.url`, or null when the stream is pre-negotiated without one. */
  readonly url: string | null;
  /** The parsed `socket.url`, or null. */
  readonly target: WebSocketUrl | null;
  /** The response's `:status`, once `acceptResponse()` has it. */
  statusCode: number | null = null;
  /** The response's header fields by lower-case name, once `acceptResponse()` has them. */
  headers: HeaderFields = createHeaderFields();
  private awaitingResponse = false;

  /**
   * Made by `framingDriver(socket, 'client')`, which checks the options; use that.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    this.target = socket.url !== undefined ? parseWebSocketUrl(socket.url) : null;
    this.url = this.target?.href ?? null;
  }

  /**
   * The extended CONNECT request for `socket.url` (RFC 8441 §5):
   * `:method`, `:protocol`, `:scheme`, `:path`, `:authority`,
   * `sec-websocket-version: 13`, the subprotocol and extension offers,
   * and the headers added with `setHeader()`. Send them on a new stream
   * (not ending it), then pass the response to `acceptResponse()`. Only on
   * an HTTP/2 connection whose server sent SETTINGS_ENABLE_CONNECT_PROTOCOL
   * (§3). Call once, before `start()`.
   */
  requestHeaders(): HeaderFields {
    if (this.target === null) throw new TypeError('requestHeaders() needs socket.url, the ws: or wss: URL');
    if (this.negotiated) throw new Error('requestHeaders() may be called once');
    if (this.started) throw new Error('requestHeaders() must be called before start()');
    this.markNegotiated();
    const headers = extendedConnectRequestHeaders(this.target, this.options.protocols, this.offerExtensions(), this.outgoingHeaders);
    this.awaitingResponse = true;
    return headers;
  }

  /**
   * Reads the server's response to `requestHeaders()`: a 2xx status, a
   * subprotocol that was offered, extensions that were offered. Opens the
   * connection and returns true; or emits `error` and `close` and returns
   * false (an unacceptable extension is also answered with a close frame,
   * 1010, since the server already considers the connection open).
   */
  acceptResponse(response: Http2HeaderInput): boolean {
    if (!this.awaitingResponse) throw new Error('acceptResponse() reads the answer to requestHeaders(): call that first, and this once');
    this.awaitingResponse = false;
    return this.hub.run(() => {
      if (this.state.kind === 'closed') return false;
      const fields = readHeaderFields(response, this.options);
      if (fields instanceof ProtocolError) return this.failHandshake(fields);
      this.headers = fields;
      const status = Number(fields[':status']);
      this.statusCode = Number.isInteger(status) ? status : null;
      const accepted = checkExtendedConnectResponse(fields, this.options.protocols);
      if (accepted instanceof ProtocolError) return this.failHandshake(accepted);
      this.agreedProtocol = accepted.protocol;
      const extensionError = this.acceptExtensions(fields['sec-websocket-extensions']);
      if (extensionError !== null) {
        this.failExtensionNegotiation(extensionError);
        return false;
      }
      return this.start();
    });
  }

  /**
   * Ends a handshake that cannot complete: the server does not support
   * extended CONNECT, or reset the stream before answering. Emits `error`
   * (`HANDSHAKE_REJECTED`, with `reason`, and `cause` when given: the
   * stream's error) and `close`. False if the connection was no longer
   * connecting.
   */
  abortHandshake(reason: string, cause?: unknown): boolean {
    return this.hub.run(() => {
      if (this.state.kind !== 'connecting') return false;
      this.awaitingResponse = false;
      this.failHandshake(protocolError('HANDSHAKE_REJECTED', { detail: reason }, cause === undefined ? undefined : { cause }));
      return true;
    });
  }

  override start(): boolean {
    if (this.awaitingResponse) throw new Error('the request is out: pass the response to acceptResponse(), which starts the connection');
    return super.start();
  }

}

/** The driver class for a role. */
export type FramingDriverFor<R extends FramingRole> = R extends 'server' ? FramingServerDriver : FramingClientDriver;

/** Makes a framing driver; throws a TypeError on an unknown role. */
export function createFramingDriver<R extends FramingRole>(socket: Socket, role: R, options: ResolvedOptions): FramingDriverFor<R> {
  if (role === 'server') return new FramingServerDriver(socket, options) as FramingDriverFor<R>;
  if (role === 'client') return new FramingClientDriver(socket, options) as FramingDriverFor<R>;
  throw new TypeError(`role must be 'server' or 'client', not ${JSON.stringify(role)}`);
}
