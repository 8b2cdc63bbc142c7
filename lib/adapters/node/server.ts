/**
 * `WebSocketServer`: what a WebSocket server needs, declared once, over
 * Node's HTTP/1.1, HTTP/2 or bare TCP/TLS servers. Each request goes
 * through the same gate (path, `verify`, subprotocol choice) and then to
 * the existing adapters: `handleUpgrade` for HTTP/1.1, `handleHttp2Stream`
 * for an RFC 8441 extended CONNECT.
 *
 * @module
 */
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type * as https from 'node:https';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { unsentBytes } from './held-bytes.js';
import type * as tls from 'node:tls';
import { nodeHttp, nodeHttps, nodeNet, nodeTls } from './builtins.js';
import { checkCloseArguments } from '../../connection/base-driver.js';
import { ReadyState } from '../../connection/connection-state.js';
import { asksForWebSocket } from '../../handshake/server-handshake.js';
import { CloseCode } from '../../errors.js';
import type { Extension } from '../../extensions/extension.js';
import { encodeClosePayload } from '../../frame/close-payload.js';
import { isExtendedConnect } from '../../http2/extended-connect.js';
import { OutgoingHeaders } from '../../http/outgoing-headers.js';
import { errorResponse, statusText } from '../../http/serialize.js';
import { resolveOptions, type DriverOptions, type ResolvedOptions } from '../../options.js';
import { bindHandler, type Binding, type Handler } from '../callbacks/bind-handler.js';
import { broadcastTo, type BroadcastOptions, type BroadcastResult } from '../callbacks/client-group.js';
import type { WriteBuffer } from '../callbacks/write-buffer.js';
import { PreparedMessage } from '../../frame/prepared-message.js';
import { checkAttachOptions } from './attach.js';
import { attachmentOfDriver, type ConnectionWatcher } from './attachment.js';
import { handleHttp2Stream, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } from './http2.js';
import {
  checkServerOptions,
  DEFAULT_SHUTDOWN_TIMEOUT,
  splitOptions,
  withoutServerKeys,
  type AttachOptions,
  type NodeDriverOptions,
  type Refusal,
  type ServerCloseOptions,
  type ServerDriver,
  type ServerOptions,
} from './options.js';
import { perMessageDeflate } from './permessage-deflate.js';
import { upgradeRequest } from './upgrade.js';
import { readUpgradeRequest } from './shared-state.js';
import type { HandshakeRequest } from '../../http/request.js';
import { describeExtendedConnect, describeUpgrade, type UpgradeRequest } from './upgrade-request.js';
import { writeBuffer } from './write-buffer.js';

/**
 * A connection the server is responsible for, from its request until it
 * opens (over HTTP/2, until its `close`). It is also the transport's
 * outgoing buffer for a bound handler, and, over HTTP/1.1, what the
 * connection's attachment tells of `open` and `close` until it opens.
 * An open HTTP/1.1 connection keeps no record of its own (a server holds
 * many idle ones): its driver is in `clients`, and the server finds its
 * transport through its attachment (a record is made again to close it).
 */
class Tracked implements WriteBuffer, ConnectionWatcher {
  // Every field set in the constructor, none by an initializer: one made
  // per request (see BaseDriver).
  declare driver: ServerDriver | null;
  /** The server tracking it. */
  declare readonly server: WebSocketServer;
  /**
   * The transport, ended at once by the shutdown timeout: an HTTP/1.1
   * socket, or the stream of an extended CONNECT (reset with CANCEL).
   */
  declare readonly transport: Duplex;
  declare readonly http2: boolean;

  constructor(server: WebSocketServer, transport: Duplex, http2: boolean) {
    this.driver = null;
    this.server = server;
    this.transport = transport;
    this.http2 = http2;
  }

  pending(): number {
    return unsentBytes(this.transport);
  }

  onFlush(listener: () => void): () => void {
    return writeBuffer(this.transport).onFlush(listener);
  }

  connectionEvent(_driver: object, event: 'open' | 'close'): void {
    if (event === 'open') connectionOpened(this);
    else connectionClosed(this);
  }
}

// HTTP/2 connections' drivers, for the `open` and `close` listeners they
// share (a driver calls its listeners with itself as `this`).
const trackedByDriver = new WeakMap<object, Tracked>();
// The bindings of callback-object handlers (most handlers are functions, which have none).
const bindingByDriver = new WeakMap<object, Binding<ServerDriver>>();

/** A connection's transport: over HTTP/1.1 its attachment's stream, over HTTP/2 its record's stream. */
function transportOf(driver: ServerDriver): Duplex | undefined {
  return attachmentOfDriver(driver)?.stream ?? trackedByDriver.get(driver)?.transport;
}

/** What the gate decided: refused, or admitted with the subprotocol `handleProtocols` chose (undefined without it). */
type Gate = Refusal | { readonly protocol: string | null | undefined };
const NO_PROTOCOL_CHOSEN: Gate = Object.freeze({ protocol: undefined });
// The early bytes of nearly every upgrade (a client waits for the 101 before it sends).
const NO_BYTES = new Uint8Array(0);

// Set by WebSocketServer's static block (they reach the server's private state).
let connectionOpened: (tracked: Tracked) => void;
let connectionClosed: (tracked: Tracked) => void;

/** Options of {@link WebSocketServer.broadcast}: those of `ClientGroup.broadcast`, `except` a driver. */
export interface ServerBroadcastOptions extends Omit<BroadcastOptions, 'except'> {
  /** A connection left out: the one whose message is being relayed, say. */
  except?: ServerDriver;
}

/** The servers `serve()` can take. */
export type ServableServer = http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer | net.Server | tls.Server;

/**
 * A WebSocket server. Declare once what every connection gets, then
 * `serve()` one or more Node servers:
 *
 * ```ts
 * const wss = new WebSocketServer({
 *   path: '/chat',
 *   perMessageDeflate: true,
 *   verify: async (request) => (await isAllowed(request.headers.cookie)) || { status: 401, headers: { 'www-authenticate': 'Cookie' } },
 *   handler: (driver) => ({ onMessage: (client, data) => client.write(data) }),
 * });
 * wss.serve(http.createServer().listen(8080));
 * // later: await wss.close();
 * ```
 *
 * For each request: a path the `path` filter refuses gets 404, a request
 * that is not a WebSocket handshake 400, a server that is closing 503;
 * then `verify` may refuse it with a status and headers; then the
 * subprotocol is chosen (`handleProtocols`) and the driver made, with
 * the driver options and extensions, and handed to `handler`.
 */
export class WebSocketServer {
  readonly #options: ServerOptions;
  readonly #driverOptions: DriverOptions;
  readonly #attachOptions: AttachOptions;
  /** Every connection's options when `handleProtocols` chooses nothing: one object, not one per connection. */
  readonly #sharedConnectionOptions: NodeDriverOptions;
  readonly #limits: ResolvedOptions;
  readonly #extensions: readonly Extension[];
  /** The open connections (and those closing since they opened). */
  readonly #clients = new Set<ServerDriver>();
  /**
   * The connections not in `#clients`: in admission (verify), or made and
   * not yet open. Each connection is in one set only (a set's entry is
   * about 30 bytes, for the connection's life); `trackedOf` finds a
   * client's record.
   */
  readonly #tracked = new Set<Tracked>();
  /** For each server served: removes the listeners `serve()` added to it. */
  readonly #served = new Map<ServableServer, () => void>();
  #closing: { readonly code: number; readonly reason: string; readonly done: Promise<void> } | null = null;
  #whenEmpty: Array<() => void> = [];

  /** Checks every option at once; an unknown key or a bad value throws. */
  constructor(options: ServerOptions = {}) {
    checkServerOptions(options);
    const [driverOptions, attachOptions] = splitOptions(withoutServerKeys(options));
    this.#limits = resolveOptions(driverOptions);
    checkAttachOptions(attachOptions);
    this.#options = options;
    this.#driverOptions = driverOptions;
    this.#attachOptions = attachOptions;
    this.#sharedConnectionOptions = this.#connectionOptions(undefined);
    const deflate = options.perMessageDeflate;
    this.#extensions =
      deflate === undefined || deflate === false ? [] : [perMessageDeflate(deflate === true ? {} : deflate)];
  }

  /** The open connections: each joins on `open` and leaves on `close`. */
  get clients(): ReadonlySet<ServerDriver> {
    return this.#clients;
  }

  /**
   * Sends `data` to every open connection, encoded once (see
   * `ClientGroup.broadcast` in `wsdriver/callbacks`, whose options these
   * are): a string as text, bytes as binary, or a `PreparedMessage`. A
   * connection whose transport holds more than `maxPending` bytes (default
   * 1 MiB) not yet flushed is slow: `slowClient` `'skip'` (default) leaves
   * it out of this message, `'close'` closes it with 1008, `'queue'` sends
   * anyway. `except` leaves one driver out. Returns what it did, counted.
   */
  broadcast(
    data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage,
    options: ServerBroadcastOptions = {},
  ): BroadcastResult {
    const open = [...this.#clients].filter((driver) => driver !== options.except && driver.readyState === ReadyState.OPEN);
    return broadcastTo(open, data, options, {
      pending: (driver) => {
        const transport = transportOf(driver);
        return transport === undefined ? 0 : unsentBytes(transport);
      },
      write: (driver, message) => driver.sendPrepared(message),
      close: (driver) => driver.close(CloseCode.POLICY_VIOLATION, 'too slow'),
    });
  }

  /**
   * Takes WebSocket requests from `server`: the `upgrade` event of an
   * `http`/`https` server; the `stream` event of an `http2` server (whose
   * extended CONNECT setting this turns on; other streams are left to your
   * own listeners) and its `upgrade` event (`allowHTTP1`); the connections
   * of a bare `net`/`tls` server, whose requests Node's HTTP parser reads.
   * May be called for several servers; serving a server already served
   * does nothing. Returns this. `unserve()` or `close()` removes the
   * listeners again.
   */
  serve(server: ServableServer): this {
    if (this.#closing !== null) throw new Error('the WebSocket server is closed');
    if (this.#served.has(server)) return this;
    const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      // A fault of this server's own: drop the request rather than leave it hanging.
      // (A closure only for a request that waits for `verify`.)
      try {
        this.#admitUpgrade(request, socket, head)?.catch((error: unknown) => this.#failUpgrade(socket, error));
      } catch (error) {
        this.#failUpgrade(socket, error);
      }
    };
    if (isHttp2Server(server)) {
      // RFC 8441 §3: without SETTINGS_ENABLE_CONNECT_PROTOCOL no client may send an extended CONNECT.
      server.updateSettings({ enableConnectProtocol: true });
      const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
        this.#admitStream(stream, headers).catch((error: unknown) => {
          stream.close(NGHTTP2_INTERNAL_ERROR);
          this.#reportError(error, undefined);
        });
      };
      server.on('stream', onStream);
      server.on('upgrade', onUpgrade);
      this.#served.set(server, () => {
        server.off('stream', onStream);
        server.off('upgrade', onUpgrade);
      });
    } else if (server instanceof nodeHttp().Server || isHttpsServer(server)) {
      server.on('upgrade', onUpgrade);
      this.#served.set(server, () => server.off('upgrade', onUpgrade));
    } else if (server instanceof nodeNet().Server) {
      // A bare server: Node's HTTP parser reads each request, with the head limits of the options.
      const parser = nodeHttp().createServer({ maxHeaderSize: this.#limits.maxHeadSize }, (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket', connection: 'Upgrade, close' });
        response.end('This is a WebSocket server\n');
      });
      parser.maxHeadersCount = this.#limits.maxHeaders;
      parser.on('upgrade', onUpgrade);
      const event = isTlsServer(server) ? 'secureConnection' : 'connection';
      const onConnection = (socket: net.Socket) => parser.emit('connection', socket);
      server.on(event, onConnection);
      // Connections already handed to the parser stay with it until they close.
      this.#served.set(server, () => server.off(event, onConnection));
    } else {
      throw new TypeError('serve() takes an http, https, http2, net or tls server');
    }
    return this;
  }

  /**
   * Stops taking WebSocket requests from `server`: removes the listeners
   * `serve(server)` added (connections already made stay open and
   * tracked). An HTTP/2 server keeps its extended CONNECT setting, which
   * RFC 8441 §3 does not allow withdrawing. Does nothing for a server not
   * served. Returns this.
   */
  unserve(server: ServableServer): this {
    const remove = this.#served.get(server);
    this.#served.delete(server);
    remove?.();
    return this;
  }

  /**
   * Closes every connection with `code` (default 1001 Going Away) and
   * `reason` (a handler's `onShutdown` runs first), refuses new requests
   * with 503 until then, and once every connection has closed removes its
   * listeners from the servers (which it leaves open: they are yours), as
   * `unserve()` does. Resolves then; connections still open after
   * `timeout` ms are destroyed. Throws a RangeError for a code that may not
   * be sent or a reason over 123 bytes. A second call while closing (or
   * after) returns the first call's promise and ignores its arguments.
   */
  close(code: number = CloseCode.GOING_AWAY, reason = '', options: ServerCloseOptions = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing.done;
    checkCloseArguments(code, reason);
    const timeout = options.timeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    if (typeof timeout !== 'number' || !(timeout >= 0) || !Number.isFinite(timeout)) {
      throw new RangeError("option 'timeout' must be a finite number of milliseconds, 0 or more");
    }
    // Checked before anything is closed, so a bad code leaves the server as it was.
    encodeClosePayload(code, reason);
    const empty = this.#isEmpty();
    const allClosed = empty ? Promise.resolve() : new Promise<void>((resolve) => this.#whenEmpty.push(resolve));
    const timer = empty
      ? undefined
      : setTimeout(() => {
          for (const tracked of this.#everyTracked()) this.#destroy(tracked);
        }, timeout);
    timer?.unref?.();
    const done = allClosed.then(() => {
      clearTimeout(timer);
      for (const server of [...this.#served.keys()]) this.unserve(server);
    });
    this.#closing = { code, reason, done };
    for (const tracked of this.#everyTracked()) this.#shutDown(tracked, code, reason, undefined);
    return done;
  }

  /** Drops a request this server failed on, and reports the fault. */
  #failUpgrade(socket: Duplex, error: unknown): void {
    socket.destroy();
    this.#reportError(error, undefined);
  }

  /**
   * Admits an upgrade request: at once, within the `upgrade` event, unless
   * `verify` is given; then returns the wait for its verdict.
   */
  #admitUpgrade(message: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> | undefined {
    // node:http may reuse `head` once this event returns; Buffer#slice is a view, this copies.
    const early = head.length === 0 ? NO_BYTES : Uint8Array.prototype.slice.call(head);
    // Read once: the driver keeps `request`, the application sees its description.
    const request = readUpgradeRequest(message);
    const described = describeUpgrade(request, message);
    const tracked = new Tracked(this, socket, false);
    this.#tracked.add(tracked);
    const gate = this.#gate(described, asksForWebSocket(request.method, request.headers['connection'], request.headers['upgrade']));
    if (gate instanceof Promise) return this.#admitVerified(tracked, gate, request, described, socket, early);
    // node:http allows half-open sockets: a peer already gone is dropped.
    if (socket.readableEnded || socket.destroyed) return void this.#destroy(tracked);
    this.#admitNow(tracked, gate, request, described, socket, early);
    return undefined;
  }

  /** The wait for `verify`'s verdict, the socket watched meanwhile. */
  async #admitVerified(
    tracked: Tracked,
    verdict: Promise<Gate>,
    request: HandshakeRequest,
    described: UpgradeRequest,
    socket: Duplex,
    early: Uint8Array,
  ): Promise<void> {
    // Until attach() takes over: a reset while `verify` runs must not crash the process.
    socket.on('error', ignore);
    // node:http allows half-open sockets: a peer that ends (or drops) the
    // connection while `verify` runs is gone, and nothing else would notice.
    const gone = () => this.#destroy(tracked);
    socket.once('end', gone);
    socket.once('close', gone);
    if (socket.readableEnded || socket.destroyed) gone();
    const gate = await verdict;
    socket.off('end', gone);
    socket.off('close', gone);
    // Off before attach() adds its own: Node's listener array then stays two long.
    socket.off('error', ignore);
    if (socket.destroyed) return this.#untrack(tracked);
    this.#admitNow(tracked, gate, request, described, socket, early);
  }

  /** The verdict is in: refused, or the connection made and handed to the handler. */
  #admitNow(tracked: Tracked, gate: Gate, request: HandshakeRequest, described: UpgradeRequest, socket: Duplex, early: Uint8Array): void {
    if ('status' in gate) {
      this.#untrack(tracked);
      // Read before the socket goes: a refused request's description may be read later.
      void described.remoteAddress;
      const response = refusalResponse(gate);
      if (!socket.writable) return void socket.destroy();
      socket.on('error', ignore);
      socket.end(response);
      // A peer that does not close its side is dropped after closeTimeout.
      const timer = setTimeout(() => socket.destroy(), this.#attachOptions.closeTimeout ?? 30_000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      return;
    }
    const options = gate.protocol === undefined ? this.#sharedConnectionOptions : this.#connectionOptions(gate.protocol);
    const driver = upgradeRequest(request, socket, early, options);
    this.#connect(tracked, driver, described, socket);
  }

  async #admitStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    if (!isExtendedConnect(headers)) return; // not a WebSocket: the application's other listeners answer it
    const tracked = new Tracked(this, stream, true);
    stream.on('error', ignore);
    this.#tracked.add(tracked);
    const request = describeExtendedConnect(stream, headers, this.#limits);
    // Fields past the limits: the framing driver answers 431.
    const gate = request === null ? { protocol: null } : await this.#gate(request, true);
    stream.off('error', ignore);
    if (stream.destroyed || stream.closed) return this.#untrack(tracked);
    if ('status' in gate) {
      this.#untrack(tracked);
      stream.on('error', ignore);
      const fields: Record<string, string> = { ':status': String(gate.status), 'content-type': 'text/plain; charset=utf-8' };
      for (const [name, value] of checkedHeaders(gate.headers).entries()) fields[name.toLowerCase()] = value;
      stream.respond(fields);
      stream.end(`${gate.message ?? statusText(gate.status)}\n`);
      return;
    }
    const driver = handleHttp2Stream(stream, headers, this.#connectionOptions(gate.protocol));
    if (request === null) {
      this.#untrack(tracked);
      return;
    }
    this.#connect(tracked, driver, request, stream);
  }

  /**
   * The checks every request passes, in order: the server is not closing
   * (503), the path (404), a WebSocket request (400), `verify`, then the
   * subprotocol. Returns the refusal, or the subprotocol chosen
   * (undefined: let the driver choose from `protocols`).
   */
  /** Whether to admit `request`: at once, or (with `verify`) once its verdict is in. */
  #gate(request: UpgradeRequest, isWebSocket: boolean): Gate | Promise<Gate> {
    if (this.#closing !== null) return { status: 503, message: 'The server is shutting down' };
    const { path, verify } = this.#options;
    if (path !== undefined && !(typeof path === 'function' ? path(request.path) : path === request.path)) {
      return { status: 404, message: `No WebSocket endpoint at ${request.path}` };
    }
    if (!isWebSocket) return { status: 400, message: 'Not a WebSocket handshake' };
    return verify === undefined ? this.#chooseProtocol(request) : this.#verify(request, verify);
  }

  async #verify(request: UpgradeRequest, verify: NonNullable<ServerOptions['verify']>): Promise<Gate> {
    try {
      const verdict = await verify(request);
      if (verdict === false) return { status: 403 };
      if (verdict !== true && verdict !== undefined) return checkRefusal(verdict);
    } catch (error) {
      this.#reportError(error, request);
      return { status: 500 };
    }
    // verify may have taken a while.
    if (this.#closing !== null) return { status: 503, message: 'The server is shutting down' };
    return this.#chooseProtocol(request);
  }

  #chooseProtocol(request: UpgradeRequest): Gate {
    const { handleProtocols } = this.#options;
    if (handleProtocols === undefined) return NO_PROTOCOL_CHOSEN;
    try {
      const chosen = handleProtocols(request.protocols, request) ?? null;
      if (chosen !== null && !request.protocols.includes(chosen)) {
        throw new Error(`handleProtocols() chose ${JSON.stringify(chosen)}, which the client did not offer`);
      }
      return { protocol: chosen };
    } catch (error) {
      this.#reportError(error, request);
      return { status: 500 };
    }
  }

  #connectionOptions(protocol: string | null | undefined): NodeDriverOptions {
    const options = { ...this.#driverOptions, ...this.#attachOptions };
    if (protocol !== undefined) options.protocols = protocol === null ? [] : [protocol];
    return options;
  }

  /** The request passed: extensions, tracking, the handler. */
  #connect(tracked: Tracked, driver: ServerDriver, request: UpgradeRequest, stream: Duplex): void {
    const extensions = this.#extensions;
    for (let i = 0; i < extensions.length; i++) driver.addExtension(extensions[i]!);
    tracked.driver = driver;
    const attachment = attachmentOfDriver(driver);
    if (attachment !== undefined) {
      // An HTTP/1.1 connection: its attachment tells us, no listeners of our own.
      attachment.watcher = tracked;
    } else {
      trackedByDriver.set(driver, tracked);
      driver.on('open', WebSocketServer.#driverOpened);
      // `on`, not `once`: close comes once, and a once wrapper is one more object per connection.
      driver.on('close', WebSocketServer.#driverClosed);
    }
    const { handler } = this.#options;
    try {
      const bound = typeof handler === 'function' ? handler(driver, request) : handler;
      if (bound !== undefined && bound !== null) bindingByDriver.set(driver, bindHandler(driver, bound as Handler<ServerDriver>, tracked));
    } catch (error) {
      this.#reportError(error, request);
      // Before the handshake: HTTP/1.1 gets a 500; an HTTP/2 stream is reset.
      if ('reject' in driver) driver.reject(500, 'Internal Server Error');
      else driver.close(CloseCode.INTERNAL_ERROR);
      return;
    }
    // A request that arrived while closing (after verify) is closed as it opens.
    if (this.#closing !== null) this.#shutDown(tracked, this.#closing.code, this.#closing.reason, request);
  }

  /**
   * Closes a connection for close(). `request` is known only while the
   * connection is being made: an open connection does not keep its
   * request (nor the Node object under it) for its whole life.
   */
  #shutDown(tracked: Tracked, code: number, reason: string, request: UpgradeRequest | undefined): void {
    if (tracked.driver === null) return; // still in verify: refused with 503 when it returns
    const driver = tracked.driver;
    try {
      // A binding shuts a connection in its handshake down once it opens; so does this.
      const binding = bindingByDriver.get(driver);
      if (binding !== undefined) binding.shutdown(code, reason);
      else if (driver.readyState === ReadyState.CONNECTING) driver.once('open', () => driver.close(code, reason));
      else driver.close(code, reason);
    } catch (error) {
      // An onShutdown that threw: reported like any handler fault; the connection is closed all the same.
      this.#reportError(error, request);
    }
  }

  /** Ends a connection's transport at once (the shutdown timeout, or a peer gone during verify). */
  #destroy(tracked: Tracked): void {
    const { transport } = tracked;
    if (tracked.http2) (transport as ServerHttp2Stream).close(NGHTTP2_CANCEL);
    else transport.destroy();
    // A request still in verify leaves now, so close() settles even if verify never returns.
    if (tracked.driver === null) this.#untrack(tracked);
  }

  static {
    connectionOpened = (tracked) => {
      const driver = tracked.driver;
      if (driver === null || driver.readyState !== ReadyState.OPEN) return;
      // From one set to the other: see #tracked.
      const server = tracked.server;
      server.#clients.add(driver);
      server.#tracked.delete(tracked);
      // Over HTTP/1.1 the record is let go: the server hears of `close` itself.
      const attachment = attachmentOfDriver(driver);
      if (attachment !== undefined && attachment.watcher === tracked) attachment.watcher = server.#clientWatcher;
    };
    connectionClosed = (tracked) => {
      tracked.server.#untrack(tracked);
    };
  }

  static #driverOpened(this: ServerDriver): void {
    const tracked = trackedByDriver.get(this);
    if (tracked !== undefined) connectionOpened(tracked);
  }

  static #driverClosed(this: ServerDriver): void {
    const tracked = trackedByDriver.get(this);
    if (tracked !== undefined) connectionClosed(tracked);
  }

  /** The connection is over (or never was): out of whichever set holds it. */
  #untrack(tracked: Tracked): void {
    const wasClient = tracked.driver !== null && this.#clients.delete(tracked.driver);
    if (this.#tracked.delete(tracked) || wasClient) this.#settleIfEmpty();
  }

  #isEmpty(): boolean {
    return this.#tracked.size === 0 && this.#clients.size === 0;
  }

  /** Settles what `close()` returned once no connection is left. */
  #settleIfEmpty(): void {
    if (!this.#isEmpty()) return;
    for (const resolve of this.#whenEmpty.splice(0)) resolve();
  }

  /** Every connection's record (made again for an open HTTP/1.1 one), copied: closing them changes the sets. */
  #everyTracked(): Tracked[] {
    const all = [...this.#tracked];
    for (const driver of this.#clients) {
      let tracked = trackedByDriver.get(driver);
      if (tracked === undefined) {
        const stream = attachmentOfDriver(driver)?.stream;
        if (stream === undefined) continue;
        tracked = new Tracked(this, stream, false);
        tracked.driver = driver;
      }
      all.push(tracked);
    }
    return all;
  }

  /** Told of an open HTTP/1.1 connection's `close` by its attachment. */
  readonly #clientWatcher: ConnectionWatcher = {
    connectionEvent: (driver, event) => {
      if (event === 'close' && this.#clients.delete(driver as ServerDriver)) this.#settleIfEmpty();
    },
  };

  #reportError(error: unknown, request: UpgradeRequest | undefined): void {
    const { onError } = this.#options;
    if (onError !== undefined) onError(error, request);
    else
      queueMicrotask(() => {
        throw error;
      });
  }
}

/** Swallows a transport's errors until its driver takes over. */
function ignore(): void {}

function isHttp2Server(server: ServableServer): server is http2.Http2Server | http2.Http2SecureServer {
  // node:http2 does not export its server classes; this method is theirs alone.
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * A TLS server (an HTTPS or HTTP/2 secure server too). Only a server with
 * TLS's methods is checked with `instanceof`: its process has loaded
 * node:tls already, and a plain server's need not (builtins.ts).
 */
function isTlsServer(server: ServableServer): server is tls.Server {
  return typeof (server as { addContext?: unknown }).addContext === 'function' && server instanceof nodeTls().Server;
}

function isHttpsServer(server: ServableServer): server is https.Server {
  return isTlsServer(server) && server instanceof nodeHttps().Server;
}

/** A refusal from `verify`, checked: a 4xx or 5xx status and valid headers. */
function checkRefusal(verdict: unknown): Refusal {
  const refusal = verdict as Refusal;
  if (verdict === null || typeof verdict !== 'object' || !Number.isInteger(refusal.status) || refusal.status < 400 || refusal.status > 599) {
    throw new TypeError('verify() must return true, false, or { status: 4xx or 5xx, headers?, message? }');
  }
  checkedHeaders(refusal.headers);
  if (refusal.message !== undefined && typeof refusal.message !== 'string') throw new TypeError('a refusal message must be a string');
  return refusal;
}

/** The refusal's headers, validated as `setHeader()` does (no CR/LF, no framing headers). */
function checkedHeaders(headers: Refusal['headers']): OutgoingHeaders {
  const checked = new OutgoingHeaders();
  for (const [name, value] of Object.entries(headers ?? {})) checked.set(name, value);
  return checked;
}

function refusalResponse(refusal: Refusal): Uint8Array {
  return errorResponse(refusal.status, refusal.message ?? statusText(refusal.status), checkedHeaders(refusal.headers).serialize());
}
