/**
 * Connecting through an HTTP proxy with CONNECT (RFC 9110 §9.3.6), before
 * the WebSocket handshake: `httpProxy(driver, url)` makes one.
 *
 * The proxy writes its request through the driver's socket, reads the
 * proxy's answer with the same HTTP head parser and limits as the driver,
 * and on a 2xx hands the connection on. For a ws: target the tunnel carries
 * the WebSocket stream itself, so every byte after the response head (the
 * rest of the chunk that held it, and anything passed to `parse()` later)
 * goes straight to `driver.parse()`. For a wss: target it carries TLS,
 * which the application runs between the two, so the proxy forwards
 * nothing: the `connect` event hands over the leftover bytes instead.
 *
 * Unlike websocket-driver, any 2xx opens the tunnel (RFC 9110 §9.3.6), not
 * only 200, and bytes after the response are never dropped.
 *
 * @module
 */
import { toBytes } from '../bytes.js';
import type { Socket } from '../events.js';
import { EventHub, type Listener } from '../emitter.js';
import { ProtocolError, protocolError } from '../errors.js';
import { createHeaderFields, ResponseHeadParser, type HeadLimits, type HeaderFields } from '../http/head-parser.js';
import { OutgoingHeaders } from '../http/outgoing-headers.js';
import { encodeHead } from '../http/serialize.js';
import type { WebSocketUrl } from '../handshake/client-handshake.js';
import type { ProxyOptions } from '../options.js';
/** Re-exported for `httpProxy()`; declared with the other options. */
export type { ProxyOptions } from '../options.js';
import { connectAuthority, connectRequestHead, parseProxyUrl } from './connect-request.js';

/** The proxy answered with a 2xx: the tunnel is open. */
export interface ProxyConnectEvent {
  /** The 2xx status of the proxy's answer. */
  readonly statusCode: number;
  /** The answer's headers by lower-case name. */
  readonly headers: HeaderFields;
  /**
   * Tunnel bytes that arrived with the response and that the proxy did not
   * pass on itself. Always empty for a ws: target (the driver already has
   * them). For a wss: target, the first bytes for your TLS layer: empty
   * from a conforming server, since a TLS client speaks first.
   */
  readonly rest: Uint8Array;
}

/** The proxy's work is over: after `connect`, or after `error`. */
export interface ProxyCloseEvent {}

/** Event name to event payload, for a proxy's `on`, `once` and `off`. */
export interface ProxyEventMap {
  /** The proxy answered with a 2xx: the tunnel is open. */
  connect: ProxyConnectEvent;
  /**
   * The tunnel could not be opened: `PROXY_REFUSED` (a non-2xx answer),
   * `PROXY_CLOSED` (the transport ended first), or `HTTP_MALFORMED`,
   * `HTTP_HEAD_TOO_LARGE`, `HTTP_TOO_MANY_HEADERS` for a bad answer.
   */
  error: ProtocolError;
  /** The proxy's work is over: right after `connect`, or after `error`. */
  close: ProxyCloseEvent;
}

/**
 * What a proxy needs from its driver; the driver builds it in
 * `useTunnel()`.
 *
 * @internal
 */
export interface ProxyLink {
  readonly target: WebSocketUrl;
  /** Where the CONNECT request is written: the driver's socket. */
  readonly socket: Socket;
  /** The driver's `maxHeadSize` and `maxHeaders`. */
  readonly limits: HeadLimits;
  /** Receives the tunnel's bytes (the driver's `parse`), or null when TLS sits between. */
  readonly forward: ((bytes: Uint8Array) => void) | null;
  /** The tunnel is open and the `connect` listeners have run. */
  readonly opened: () => void;
  /** The proxy failed: the driver fails too. */
  readonly failed: (error: ProtocolError) => void;
}

type ProxyState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'awaiting'; readonly parser: ResponseHeadParser }
  | { readonly kind: 'tunnel' }
  | { readonly kind: 'failed'; readonly error: ProtocolError };

const OPTION_KEYS = new Set(['headers']);
// Pure: an app that never imports httpProxy drops it (see outgoing-message.ts).
const EMPTY = /* @__PURE__ */ new Uint8Array(0);

/** A CONNECT request through an HTTP proxy; see the module comment. */
export class HttpProxy {
  /** Host of the proxy itself, to open the transport to (IPv6 without brackets). */
  readonly host: string;
  /** Port of the proxy itself: the URL's, or 80 for http: and 443 for https:. */
  readonly port: number;
  /** True for an https: proxy URL: TLS to the proxy comes before CONNECT. */
  readonly secure: boolean;
  /** The final response's status code, once it has arrived. */
  statusCode: number | null = null;
  /** The final response's reason phrase, once it has arrived. */
  statusText: string | null = null;
  /** The final response's headers by lower-case name, once they have arrived. */
  headers: HeaderFields = createHeaderFields();

  readonly #link: ProxyLink;
  readonly #authority: string;
  readonly #authorization: string | null;
  readonly #outgoing = new OutgoingHeaders();
  readonly #hub = new EventHub<ProxyEventMap>();
  #state: ProxyState = { kind: 'idle' };
  // Bytes of response heads read so far: 1xx heads count against maxHeadSize too.
  #headBytes = 0;

  /**
   * Made by `httpProxy(driver, url, options)`.
   *
   * @internal
   */
  constructor(url: string | URL, link: ProxyLink, options?: ProxyOptions) {
    const proxyUrl = parseProxyUrl(url);
    this.host = proxyUrl.host;
    this.port = proxyUrl.port;
    this.secure = proxyUrl.secure;
    this.#authorization = proxyUrl.authorization;
    this.#authority = connectAuthority(link.target);
    this.#link = link;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') throw new TypeError('proxy options must be an object');
      for (const key of Object.keys(options)) {
        if (!OPTION_KEYS.has(key)) throw new TypeError(`unknown proxy option '${key}'; known options: headers`);
      }
      for (const [name, value] of Object.entries(options.headers ?? {})) this.setHeader(name, value);
    }
  }

  /** Adds a listener. */
  on<K extends keyof ProxyEventMap>(type: K, listener: Listener<ProxyEventMap[K]>): this {
    this.#hub.on(type, listener);
    return this;
  }

  /** Adds a listener that is removed after it runs once. */
  once<K extends keyof ProxyEventMap>(type: K, listener: Listener<ProxyEventMap[K]>): this {
    this.#hub.once(type, listener);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof ProxyEventMap>(type: K, listener: Listener<ProxyEventMap[K]>): this {
    this.#hub.off(type, listener);
    return this;
  }

  /**
   * Adds a header to the CONNECT request (`User-Agent`, say). Call before
   * `start()`. Validated as the driver's `setHeader()` is; `Host` is set by
   * the proxy. A `Proxy-Authorization` set here replaces the one built
   * from the URL's user info.
   */
  setHeader(name: string, value: string | number): void {
    if (this.#state.kind !== 'idle') throw new Error('setHeader() must be called before start()');
    if (typeof name === 'string' && name.toLowerCase() === 'host') {
      throw new TypeError('header Host is set by the proxy: it names the tunnel target');
    }
    this.#outgoing.set(name, value);
  }

  /**
   * Sends `CONNECT host:port HTTP/1.1` through the driver's socket.
   * Returns false if it was already sent or the connection has ended.
   */
  start(): boolean {
    if (this.#state.kind !== 'idle') return false;
    this.#state = { kind: 'awaiting', parser: new ResponseHeadParser(this.#link.limits) };
    const authorization = this.#outgoing.has('proxy-authorization') ? null : this.#authorization;
    this.#link.socket.write(encodeHead(connectRequestHead(this.#authority, authorization, this.#outgoing.serialize())));
    return true;
  }

  /**
   * Feeds bytes received from the proxy. Takes ownership of `bytes`, as
   * `driver.parse()` does. Once the tunnel is open, bytes passed here go on
   * to the driver (ws: targets); for a wss: target they belong to your TLS
   * layer, and passing them here throws. After a failure they are ignored:
   * they are the rest of the proxy's refusal.
   */
  parse(bytes: Uint8Array): void {
    const chunk = toBytes(bytes);
    const state = this.#state;
    if (state.kind === 'idle') throw new Error('call start() before parse()');
    if (state.kind === 'tunnel') {
      const forward = this.#link.forward;
      if (forward === null) {
        throw new Error('the tunnel is open and carries TLS: pass its bytes to your TLS layer, not to proxy.parse()');
      }
      forward(chunk);
      return;
    }
    if (state.kind === 'failed' || chunk.length === 0) return;
    this.#hub.run(() => this.#read(state.parser, chunk));
  }

  /**
   * Tells the proxy its transport ended. Before the tunnel opened, that is
   * an error (`PROXY_CLOSED`). The driver calls this when it closes, so
   * `driver.transportClosed()` is enough.
   */
  transportClosed(): void {
    const kind = this.#state.kind;
    if (kind !== 'idle' && kind !== 'awaiting') return;
    this.#hub.run(() =>
      this.#fail(protocolError('PROXY_CLOSED', { authority: this.#authority })),
    );
  }

  #read(parser: ResponseHeadParser, chunk: Uint8Array): void {
    const result = parser.push(chunk);
    if (result.kind === 'incomplete') {
      this.#headBytes += chunk.length;
      return;
    }
    if (result.kind === 'error') {
      const { code, message, closeCode } = result.error;
      this.#fail(new ProtocolError(code, `invalid response from the proxy: ${message}`, closeCode));
      return;
    }
    const { head, rest } = result;
    this.#headBytes += chunk.length - rest.length;
    const status = head.statusCode;
    // RFC 9110 §15.2: a client must accept 1xx interim responses before the
    // final one. 101 is final, and no answer to CONNECT.
    if (status < 200 && status !== 101) {
      const { maxHeadSize, maxHeaders } = this.#link.limits;
      const next = new ResponseHeadParser({ maxHeadSize: maxHeadSize - this.#headBytes, maxHeaders });
      this.#state = { kind: 'awaiting', parser: next };
      if (rest.length > 0) this.#read(next, rest);
      return;
    }
    this.statusCode = status;
    this.statusText = head.statusText;
    this.headers = head.headers;
    if (status < 200 || status > 299) {
      const reason = head.statusText === '' ? '' : ` ${head.statusText}`;
      this.#fail(protocolError('PROXY_REFUSED', { authority: this.#authority, status: `${status}${reason}` }));
      return;
    }
    // §9.3.6: after a 2xx the connection is a tunnel from the next byte on;
    // any Content-Length or Transfer-Encoding in it must be ignored.
    this.#state = { kind: 'tunnel' };
    const forward = this.#link.forward;
    this.#hub.emit('connect', { statusCode: status, headers: head.headers, rest: forward === null ? rest : EMPTY });
    this.#link.opened();
    if (forward !== null && rest.length > 0) forward(rest);
    this.#hub.emit('close', {});
  }

  #fail(error: ProtocolError): void {
    this.#state = { kind: 'failed', error };
    this.#hub.emit('error', error);
    this.#hub.emit('close', {});
    this.#link.failed(error);
  }
}

/**
 * What {@link httpProxy} needs of a driver: a client driver
 * (`HybiClientDriver`, from `Driver.client`) has it. Declared here, as a
 * shape, because this layer sits below the drivers (docs/ARCHITECTURE.md).
 */
export interface ProxiedDriver {
  /** @internal Puts the proxy's tunnel in front of the handshake. */
  useTunnel(make: (link: ProxyLink) => HttpProxy): HttpProxy;
}

/**
 * Connects `driver` through an HTTP proxy: returns an {@link HttpProxy}
 * that asks the proxy at `url` (http: or https:, user info for Basic auth)
 * for a tunnel with CONNECT, through the driver's socket. Call
 * `proxy.start()`, pass what the socket receives to `proxy.parse()`, and
 * call `driver.start()` on `connect` (for wss:, after starting TLS there).
 * Throws if the driver already has a proxy. See docs/proxy.md.
 *
 * A function rather than a driver method, so an application that never
 * uses a proxy leaves this module out of its bundle.
 */
export function httpProxy(driver: ProxiedDriver, url: string | URL, options?: ProxyOptions): HttpProxy {
  if (driver === null || typeof driver !== 'object' || typeof driver.useTunnel !== 'function') {
    throw new TypeError('httpProxy() takes a client driver made by Driver.client()');
  }
  return driver.useTunnel((link) => new HttpProxy(url, link, options));
}
