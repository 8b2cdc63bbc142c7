/**
 * The RFC 6455 client driver: sends the opening handshake for
 * `socket.url`, checks the response, then speaks frames, masking every one
 * it sends (§5.3).
 *
 * @module
 */
import { ProtocolError, protocolError } from '../errors.js';
import type { Socket } from '../events.js';
import { createHeaderFields, ResponseHeadParser, type HeaderFields } from '../http/head-parser.js';
import { encodeHead } from '../http/serialize.js';
import type { ResolvedOptions } from '../options.js';
import type { ProxyLink } from '../proxy/http-proxy.js';
import { generateKey } from '../handshake/accept-key.js';
import { checkHandshakeResponse, clientRequestHead, parseWebSocketUrl, type WebSocketUrl } from '../handshake/client-handshake.js';
import { HybiDriver } from '../hybi/hybi-driver.js';

/** What the driver tells a proxy opening its tunnel (see `useTunnel`). */
interface Tunnel {
  transportClosed(): void;
}

/** Client side of an RFC 6455 connection. */
export class HybiClientDriver extends HybiDriver {
  readonly version = 'hybi-13';
  readonly role = 'client';
  /** The URL connected to. */
  readonly url: string;
  /** The response's status code, once it has arrived. */
  statusCode: number | null = null;
  /** The response's headers by lower-case name, once they have arrived. */
  headers: HeaderFields = createHeaderFields();
  /** The parsed target URL (host, port, secure) for transports and proxies. */
  readonly target: WebSocketUrl;

  private readonly key = generateKey();
  private responseParser: ResponseHeadParser | null;
  private proxy: Tunnel | null = null;
  // With a proxy, the handshake waits for the tunnel: 'held' if start()
  // came first, sent once the proxy's connect listeners have run.
  private tunnel: 'direct' | 'waiting' | 'held' | 'open' = 'direct';

  /**
   * Made by `Driver.client`, which checks the options; use that.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    if (socket.url === undefined) throw new TypeError('a client socket needs a url (ws: or wss:)');
    this.target = parseWebSocketUrl(socket.url);
    this.url = this.target.href;
    this.responseParser = new ResponseHeadParser(options);
  }

  /** Received bytes the driver holds: a partial response head, a partial message. */
  override get retainedBytes(): number {
    return super.retainedBytes + (this.responseParser?.retainedBytes ?? 0);
  }

  /**
   * Puts a proxy's tunnel in front of the handshake: `make` gets what the
   * proxy needs from this driver. Called by `httpProxy()`
   * (lib/proxy/http-proxy.ts), a function of its own so that an
   * application that never uses a proxy leaves its code out of its bundle.
   *
   * @internal
   */
  useTunnel<P extends Tunnel>(make: (link: ProxyLink) => P): P {
    if (this.tunnel !== 'direct') throw new Error('this driver already has a proxy');
    const proxy = make({
      target: this.target,
      socket: this.socket,
      limits: this.options,
      // ws: the tunnel carries our stream; wss: TLS sits between.
      forward: this.target.secure ? null : (bytes) => this.parse(bytes),
      opened: () => this.tunnelOpened(),
      failed: (error) => this.hub.run(() => this.failConnection(error)),
    });
    this.proxy = proxy;
    this.tunnel = 'waiting';
    return proxy;
  }

  protected handshake(): boolean {
    // Never before the tunnel: for wss: it would go to the proxy in clear.
    if (this.tunnel === 'waiting') {
      this.tunnel = 'held';
      return true;
    }
    let offer: string | null;
    try {
      offer = this.offerExtensions();
    } catch (cause) {
      // An extension made an offer that cannot be sent: as on the server
      // (a 500 there), the connection fails with EXTENSION_ERROR, nothing sent.
      const message = cause instanceof Error ? cause.message : String(cause);
      this.failConnection(protocolError('EXTENSION_ERROR', { detail: `extension negotiation failed: ${message}` }, { cause }));
      return false;
    }
    const head = clientRequestHead(this.target, this.key, this.options.protocols, offer, this.outgoingHeaders);
    this.socket.write(encodeHead(head));
    return true;
  }

  /** @internal Bytes after `start()`: the response head, then frames; returns what a pause left unread. */
  protected override receive(bytes: Uint8Array): Uint8Array | void {
    const response = this.responseParser;
    // What the parser leaves unread when a listener pauses is handed back.
    if (response === null) return this.parser.push(bytes);
    const result = response.push(bytes);
    if (result.kind === 'incomplete') return;
    this.responseParser = null;
    if (result.kind === 'error') {
      this.failHandshake(result.error);
      return;
    }
    const head = result.head;
    this.statusCode = head.statusCode;
    this.headers = head.headers;
    const accepted = checkHandshakeResponse(head, this.key, this.options.protocols);
    if (accepted instanceof ProtocolError) {
      this.failHandshake(accepted);
      return;
    }
    this.agreedProtocol = accepted.protocol;
    const extensionError = this.acceptExtensions(head.headers['sec-websocket-extensions']);
    if (extensionError !== null) {
      this.failExtensionNegotiation(extensionError);
      return;
    }
    this.openConnection();
    // Frames may follow the response in the same chunk.
    if (result.rest.length > 0 && this.state.kind !== 'closed') return this.parser.push(result.rest);
  }

  /** @internal The connection closed: a proxy still opening its tunnel is told the transport ended. */
  protected override onClosed(): void {
    super.onClosed();
    this.proxy?.transportClosed();
  }

  private tunnelOpened(): void {
    const held = this.tunnel === 'held';
    this.tunnel = 'open';
    if (held && this.state.kind === 'connecting') this.handshake();
  }

}
