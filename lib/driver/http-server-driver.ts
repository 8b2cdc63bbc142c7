/**
 * `Driver.server`: a driver that reads the HTTP request itself from the
 * bytes given to `parse()`, for a bare TCP (or TLS) server.
 *
 * Once the request head is in, it emits `connect` with `env`, `url` and
 * `headers` set; the application calls `start()` to accept or `reject()`
 * to refuse. From then on every call goes to the protocol driver chosen for
 * the request, which emits on the same listeners. Bytes that arrived after
 * the head are kept for it.
 *
 * @module
 */
import { CloseCode, ProtocolError } from '../errors.js';
import { EventHub, type Listener } from '../emitter.js';
import { RequestHeadParser, type HeaderFields } from '../http/head-parser.js';
import { OutgoingHeaders } from '../http/outgoing-headers.js';
import { requestFromHead, type RackEnv } from '../http/request.js';
import { errorResponse } from '../http/serialize.js';
import type { ResolvedOptions } from '../options.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { ExtensionStack } from '../extensions/extension-stack.js';
import { encodeClosePayload } from '../frame/close-payload.js';
import { toBytes, utf8Length } from '../bytes.js';
import { checkCloseArguments, type BaseDriver, type SendCallback } from '../connection/base-driver.js';
import type { ReadyState } from '../connection/connection-state.js';
import { checkDeadlineSettings, DeadlineClock, type DeadlineSettings } from '../connection/deadlines.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { ServerSideDriver } from '../connection/server-side.js';
import { selectServerDriver } from './select-server-driver.js';
import { InputGate } from '../connection/input-gate.js';
import type { OutgoingMessage } from '../hybi/outgoing-message.js';

/** What `Driver.server` holds for its protocol driver until the request arrives. */
interface EarlySetup {
  /** Headers set with `setHeader()`, validated by `headerCheck` as they came. */
  readonly headers: Array<[string, string | number]>;
  readonly headerCheck: OutgoingHeaders;
  /** Extensions added, checked on the way in as the delegate will check them. */
  readonly extensions: Extension[];
  extensionCheck: ExtensionStack | null;
  /** Messages sent, replayed onto the delegate (which queues them until open), bounded by maxQueuedBytes. */
  readonly messages: Array<(driver: ServerSideDriver) => void>;
}

/** Server driver that parses the HTTP request itself; see the module comment. */
export class HttpServerDriver {
  readonly #hub = new EventHub<DriverEventMap>();
  readonly #socket: Socket;
  readonly #options: ResolvedOptions;
  #head: RequestHeadParser | null;
  #delegate: ServerSideDriver | null = null;
  #closed = false;
  // What the application set up before the request arrived, replayed onto
  // the delegate, then dropped; made on first need.
  #setup: EarlySetup | null = null;
  #earlyBytes = 0;
  // pause() before the request arrived: input is held here, unread, and
  // the pause passes to the protocol driver once it is made.
  #pausedEarly = false;
  #earlyGate: InputGate | null = null;
  // useDeadlines() before the request arrived: the handshake deadline runs
  // here, then the protocol driver gets the same settings from the same start.
  #deadlines: { settings: DeadlineSettings; since: number; clock: DeadlineClock } | null = null;

  /**
   * Made by `Driver.server`, which checks the options; use that.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    if (socket === null || typeof socket !== 'object' || typeof socket.write !== 'function') {
      throw new TypeError('socket must be an object with a write(bytes) method');
    }
    this.#socket = socket;
    this.#options = options;
    this.#head = new RequestHeadParser(options);
  }

  /** The request as a Rack-style env; null until `connect`. */
  get env(): RackEnv | null {
    return this.#delegate?.env ?? null;
  }

  /** The URL of the request; null until `connect`. */
  get url(): string | null {
    return this.#delegate?.url ?? null;
  }

  /** The request's headers by lower-case name; null until `connect`. */
  get headers(): HeaderFields | null {
    return this.#delegate?.headers ?? null;
  }

  /** Always `'server'`; see {@link BaseDriver.role}. */
  readonly role = 'server';
  /** The protocol version chosen for the request; '' until `connect`. */
  get version(): string {
    return this.#delegate?.version ?? '';
  }

  /** The subprotocol agreed, or null. */
  get protocol(): string | null {
    return this.#delegate?.protocol ?? null;
  }

  /** Bytes of received input held: the partial request head, then the protocol driver's. */
  get retainedBytes(): number {
    return this.#delegate?.retainedBytes ?? this.#head?.retainedBytes ?? 0;
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): ReadyState {
    if (this.#delegate !== null) return this.#delegate.readyState;
    return this.#closed ? 3 : 0;
  }

  /** Adds a listener; the protocol driver chosen later emits on it too. */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.#hub.on(type, listener);
    return this;
  }

  /** Adds a listener that is removed after it runs once. */
  once<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.#hub.once(type, listener);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.#hub.off(type, listener);
    return this;
  }

  /** Feeds received bytes: first the request head, then frames. */
  parse(bytes: Uint8Array): void {
    if (this.#delegate !== null) {
      this.#delegate.parse(bytes);
      return;
    }
    this.#hub.run(() => {
      const head = this.#head;
      if (head === null || this.#closed) return;
      if (this.#pausedEarly) {
        const gate = (this.#earlyGate ??= new InputGate(this.#options.maxPausedBytes));
        // Copied: the caller's chunk is not ours until it is read.
        if (gate.hold(toBytes(bytes).slice())) return;
        this.#earlyGate = null;
        const error = new ProtocolError(
          'PAUSED_INPUT_TOO_LARGE',
          `more than maxPausedBytes (${this.#options.maxPausedBytes}) bytes arrived while paused`,
          CloseCode.TOO_LARGE,
        );
        this.#closed = true;
        this.#hub.emit('error', error);
        this.#end(error.closeCode, error.message);
        return;
      }
      const result = head.push(toBytes(bytes));
      if (result.kind === 'incomplete') return;
      this.#head = null;
      if (result.kind === 'error') {
        this.#failRequest(result.error);
        return;
      }
      const delegate = selectServerDriver(requestFromHead(result.head), this.#socket, this.#options, this.#hub);
      const setup = this.#setup;
      this.#setup = null;
      if (setup !== null) {
        // A header the chosen driver refuses (a draft's own, say) is the
        // caller's mistake: reported once parse() is done, without leaving
        // this driver half set up.
        for (const [name, value] of setup.headers) this.#hub.call(() => delegate.setHeader(name, value));
        for (const extension of setup.extensions) delegate.addExtension(extension);
        for (const send of setup.messages) send(delegate);
      }
      this.#delegate = delegate;
      if (this.#deadlines !== null) delegate.useDeadlines(this.#deadlines.settings, this.#deadlines.since);
      this.#deadlines = null;
      // The delegate holds on to these until start().
      if (result.rest.length > 0) delegate.parse(result.rest);
      this.#hub.emit('connect', {});
    });
  }

  /** Accepts the request: sends the handshake response. False before `connect`. */
  start(): boolean {
    return this.#delegate?.start() ?? false;
  }

  /** Refuses the request with a plain-text HTTP response (400 by default). */
  reject(status?: number, message?: string): boolean {
    return this.#delegate?.reject(status, message) ?? false;
  }

  /** Sends a text message; before `connect` it is queued, as after. */
  text(message: string, done?: SendCallback): boolean {
    if (this.#delegate !== null) return this.#delegate.text(message, done);
    if (typeof message !== 'string') throw new TypeError('text() takes a string');
    return this.#queueEarly(utf8Length(message), (driver) => driver.text(message, done), done);
  }

  /**
   * Sends a binary message; before `connect` it is queued, as after. False
   * if it can no longer be sent (or, once known, the draft has no binary).
   */
  binary(message: Uint8Array | ArrayBuffer | ArrayBufferView, done?: SendCallback): boolean {
    if (this.#delegate !== null) return this.#delegate.binary(message, done);
    const data = toBytes(message);
    return this.#queueEarly(data.length, (driver) => driver.binary(data, done), done);
  }

  /** Sends a ping, queued until open; `callback` runs on its pong (see {@link BaseDriver.ping}). */
  ping(message: string | Uint8Array = '', callback?: () => void): boolean {
    if (this.#delegate !== null) return this.#delegate.ping(message, callback);
    const data = toBytes(message);
    if (data.length > 125) throw new RangeError('ping payload is limited to 125 bytes');
    return this.#queueEarly(data.length, (driver) => driver.ping(data, callback));
  }

  /** Sends an unsolicited pong, queued until open. */
  pong(message: string | Uint8Array = ''): boolean {
    if (this.#delegate !== null) return this.#delegate.pong(message);
    const data = toBytes(message);
    if (data.length > 125) throw new RangeError('pong payload is limited to 125 bytes');
    return this.#queueEarly(data.length, (driver) => driver.pong(data));
  }

  /**
   * Starts the closing handshake (see {@link BaseDriver.close}). Before
   * `connect` it ends the driver at once, writing nothing. False if it is
   * already closing or closed.
   */
  close(code?: number, reason?: string): boolean {
    if (this.#delegate !== null) return this.#delegate.close(code, reason);
    checkCloseArguments(code ?? CloseCode.NORMAL, reason ?? '');
    // The same caller checks as once connected (a code that may not be sent throws).
    encodeClosePayload(code ?? CloseCode.NORMAL, reason ?? '');
    if (this.#closed) return false;
    this.#hub.run(() => this.#end(code ?? CloseCode.NORMAL, reason ?? ''));
    return true;
  }

  /**
   * Adds a header to the handshake response. Call before `start()`;
   * checked at once (see {@link BaseDriver.setHeader}).
   */
  setHeader(name: string, value: string | number): void {
    if (this.#delegate !== null) {
      this.#delegate.setHeader(name, value);
      return;
    }
    // Validate now (this throws on a bad header); apply when the delegate exists.
    const setup = this.#earlySetup();
    setup.headerCheck.set(name, value);
    setup.headers.push([name, value]);
  }

  /**
   * Registers an extension for the connection (see
   * {@link BaseDriver.addExtension}); before `connect` it is kept for the
   * protocol driver, so this returns true even if a draft is chosen later.
   */
  addExtension(extension: Extension): boolean {
    if (this.#delegate !== null) return this.#delegate.addExtension(extension);
    const setup = this.#earlySetup();
    (setup.extensionCheck ??= new ExtensionStack(this.#options.maxLength)).add(extension);
    setup.extensions.push(extension);
    return true;
  }

  /** The extensions negotiated, with their parameters; empty until `open`. */
  get extensions(): readonly NegotiatedExtension[] {
    return this.#delegate?.extensions ?? [];
  }

  /**
   * Tells the driver the transport has ended. If no close handshake
   * completed, `close` fires with 1006.
   */
  transportClosed(): void {
    if (this.#delegate !== null) {
      this.#delegate.transportClosed();
      return;
    }
    if (this.#closed) return;
    this.#hub.run(() => this.#end(CloseCode.ABNORMAL, ''));
  }

  // --- flow control (docs/flow-control.md), the delegate's once it exists ---

  /** See {@link BaseDriver.bufferedAmount}; 0 before the request arrived. */
  get bufferedAmount(): number {
    return this.#delegate?.bufferedAmount ?? 0;
  }

  /** See {@link BaseDriver.isPaused}. */
  get isPaused(): boolean {
    return this.#delegate?.isPaused ?? this.#pausedEarly;
  }

  /** See {@link BaseDriver.pause}; before the request arrives, applied to the protocol driver when it is made. */
  pause(): void {
    if (this.#delegate !== null) return this.#delegate.pause();
    if (this.#pausedEarly || this.#closed) return;
    this.#pausedEarly = true;
    this.#hub.run(() => this.#hub.emit('pause', {}));
  }

  /** See {@link BaseDriver.resume}. */
  resume(): void {
    if (this.#delegate !== null) return this.#delegate.resume();
    if (!this.#pausedEarly || this.#closed) return;
    this.#pausedEarly = false;
    const held = this.#earlyGate?.take() ?? null;
    this.#earlyGate = null;
    this.#hub.run(() => {
      // The protocol driver this may make starts unpaused.
      if (held !== null) this.parse(held);
      if (!this.isPaused && this.readyState !== 3) this.#hub.emit('resume', {});
    });
  }

  /**
   * See {@link BaseDriver.useDeadlines}. Until the request head has
   * arrived only the handshake deadline runs here: a head not complete in
   * time is answered `408 Request Timeout` (the slow-loris defence).
   */
  useDeadlines(settings: DeadlineSettings, now: number): void {
    if (this.#delegate !== null) return this.#delegate.useDeadlines(settings, now);
    const checked = checkDeadlineSettings(settings);
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('now must be a finite number of milliseconds');
    if (this.#closed) return;
    this.#deadlines = { settings, since: now, clock: new DeadlineClock(checked, now) };
  }

  /** See {@link BaseDriver.deadline}. */
  get deadline(): number | null {
    if (this.#delegate !== null) return this.#delegate.deadline;
    return this.#deadlines?.clock.next ?? null;
  }

  /** See {@link BaseDriver.tick}. */
  tick(now: number): void {
    if (this.#delegate !== null) return this.#delegate.tick(now);
    const deadlines = this.#deadlines;
    if (deadlines === null || this.#closed || deadlines.clock.advance(now) !== 'handshake') return;
    this.#deadlines = null;
    this.#hub.run(() => {
      // RFC 9110 §15.5.9: the server would not wait any longer for the request.
      this.#socket.write(errorResponse(408, 'Request Timeout'));
      this.#closed = true;
      const error = new ProtocolError('HANDSHAKE_TIMEOUT', 'the request head did not arrive in time', CloseCode.ABNORMAL);
      this.#hub.emit('error', error);
      this.#end(error.closeCode, error.message);
    });
  }

  /**
   * Starts a message sent in pieces (see `HybiDriver.startMessage`); null
   * before the connection is open, or on a hixie draft.
   */
  startMessage(type: 'text' | 'binary'): OutgoingMessage | null {
    const delegate = this.#delegate;
    if (delegate === null || !('startMessage' in delegate)) {
      if (type !== 'text' && type !== 'binary') throw new TypeError("startMessage() takes 'text' or 'binary'");
      return null;
    }
    return (delegate as { startMessage(type: 'text' | 'binary'): OutgoingMessage | null }).startMessage(type);
  }

  /** See {@link BaseDriver.transportDrained}. */
  transportDrained(): void {
    this.#delegate?.transportDrained();
  }

  #queueEarly(size: number, send: (driver: ServerSideDriver) => void, done?: SendCallback): boolean {
    if (done !== undefined && typeof done !== 'function') throw new TypeError('the send callback must be a function');
    if (this.#closed || this.#earlyBytes + size > this.#options.maxQueuedBytes) return false;
    this.#earlyBytes += size;
    this.#earlySetup().messages.push(send);
    return true;
  }

  #earlySetup(): EarlySetup {
    return (this.#setup ??= { headers: [], headerCheck: new OutgoingHeaders(), extensions: [], extensionCheck: null, messages: [] });
  }

  #failRequest(error: ProtocolError): void {
    // RFC 6585 §5: 431 for a head too large or with too many fields.
    const tooLarge = error.code === 'HTTP_HEAD_TOO_LARGE' || error.code === 'HTTP_TOO_MANY_HEADERS';
    this.#socket.write(errorResponse(tooLarge ? 431 : 400, error.message));
    // Closed before `error` runs, so its listeners cannot close a second time.
    this.#closed = true;
    this.#hub.emit('error', error);
    this.#end(error.closeCode, error.message);
  }

  /** Ends the driver before any request was read, and emits `close`. */
  #end(code: number, reason: string): void {
    this.#closed = true;
    this.#head = null;
    if (this.#setup !== null) this.#setup.messages.length = 0;
    this.#hub.emit('close', { code, reason, wasClean: false });
  }
}
