/**
 * What every driver shares, whatever its protocol version: the event
 * façade, the connection state, input that arrives before `start()`,
 * messages queued until the connection opens, and the rule that the
 * `close` event fires exactly once.
 *
 * Protocol drivers (RFC 6455, the hixie drafts) fill in the abstract
 * methods; nothing here knows about frames.
 *
 * @module
 */
import { CloseCode, ProtocolError, protocolError, transportError } from '../errors.js';
import { EventHub, type Listener } from '../emitter.js';
import { ByteAccumulator } from '../frame/byte-accumulator.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { OutgoingHeaders } from '../http/outgoing-headers.js';
import { errorResponse } from '../http/serialize.js';
import { QUEUED_ENTRY_OVERHEAD, type ResolvedOptions } from '../options.js';
import { CONNECTING, FAILING, OPEN, readyStateOf, type ClosingState, type ConnectionState, type ReadyState } from './connection-state.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { toBytes, utf8Length } from '../bytes.js';

/** A message or control frame waiting for the connection to open. */
export type Queued =
  | { readonly kind: 'text'; readonly data: string }
  | { readonly kind: 'binary'; readonly data: Uint8Array }
  | { readonly kind: 'ping'; readonly data: Uint8Array; readonly callback: (() => void) | undefined }
  | { readonly kind: 'pong'; readonly data: Uint8Array };

const NO_EXTENSIONS: readonly NegotiatedExtension[] = Object.freeze([]);

/**
 * `close(code, reason)`'s argument order is the WebSocket API's and ws's;
 * websocket-driver's was `close(reason, code)`. A call in the old order is
 * named as such rather than failing later on a "code" that is a string.
 */
export function checkCloseArguments(code: unknown, reason: unknown): void {
  // Swapped: a string where the code goes (a number as the reason with a
  // number code, as in close(1000, 1000), is only a bad reason).
  if (typeof code === 'string' || (typeof reason === 'number' && typeof code !== 'number')) {
    throw new TypeError(`close() takes (code, reason), code first: got close(${JSON.stringify(code)}, ${JSON.stringify(reason)})`);
  }
  if (typeof code !== 'number') throw new TypeError('close() code must be a number');
  if (typeof reason !== 'string') throw new TypeError('close() reason must be a string');
}

/** Shared machinery of all drivers; see the module comment. */
export abstract class BaseDriver {
  /** The protocol version spoken: `hybi-13`, `hybi-8`, `hybi-7`, `hixie-76` or `hixie-75`. */
  abstract readonly version: string;
  /**
   * Which end of the connection this driver is. A transport adapter reads
   * it rather than the driver's class: after a clean close the server
   * closes the TCP connection first, the client waits for it (RFC 6455 §7.1.1).
   */
  abstract readonly role: 'server' | 'client';
  /** The subprotocol agreed in the handshake, or null. Set when `open` fires. */
  get protocol(): string | null {
    return this.agreedProtocol;
  }
  /**
   * Set by the handshake; read through `protocol`.
   *
   * @internal
   */
  protected agreedProtocol: string | null = null;

  /**
   * Where events are emitted; shared with a wrapping `Driver.server`.
   *
   * @internal
   */
  protected readonly hub: EventHub<DriverEventMap>;
  /**
   * Where every byte this driver produces is written.
   *
   * @internal
   */
  protected readonly socket: Socket;
  /**
   * The options, defaults filled in and checked.
   *
   * @internal
   */
  protected readonly options: ResolvedOptions;
  /**
   * Headers added with `setHeader()`, for the handshake.
   *
   * @internal
   */
  protected readonly outgoingHeaders = new OutgoingHeaders();
  /**
   * Where the connection stands; `readyState` is derived from it.
   *
   * @internal
   */
  protected state: ConnectionState = CONNECTING;

  #started = false;
  // Input before start(), copied: one accumulator rather than one array
  // per chunk, so a peer trickling bytes cannot pin more than about twice
  // what it sent (see ByteAccumulator). Made on first need.
  #earlyInputBytes: ByteAccumulator | null = null;
  // Input is read one chunk at a time: a chunk passed to parse() from a
  // listener while another is being read (a synchronous transport, say)
  // waits here and is read next, so the stream keeps its order. Made on
  // first need, as is the queue.
  #reading = false;
  #heldInput: Uint8Array[] | null = null;
  #queue: Queued[] | null = null;
  #queuedBytes = 0;

  /**
   * Made through the subclasses; applications get drivers from the `Driver`
   * factories, which check the options and share one event hub between
   * `Driver.server` and the driver it hands over to.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions, hub?: EventHub<DriverEventMap>) {
    if (socket === null || typeof socket !== 'object' || typeof socket.write !== 'function') {
      throw new TypeError('socket must be an object with a write(bytes) method');
    }
    this.socket = socket;
    this.options = options;
    this.hub = hub ?? new EventHub();
  }

  /** 0 connecting, 1 open, 2 closing, 3 closed, as in the WebSocket API. */
  get readyState(): ReadyState {
    return readyStateOf(this.state);
  }

  /**
   * Bytes of received input the driver holds, not yet delivered: input
   * that arrived before `start()`, a partial response head, a partial
   * message. Counted as the memory held (whole buffers a view pins), so a
   * server can watch it; every part is bounded by an option.
   */
  get retainedBytes(): number {
    return this.#earlyInputBytes?.retainedBytes ?? 0;
  }

  /** Adds a listener. */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.hub.on(type, listener);
    return this;
  }

  /** Adds a listener that is removed after it runs once. */
  once<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.hub.once(type, listener);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): this {
    this.hub.off(type, listener);
    return this;
  }

  /**
   * Adds a header to the handshake this side sends. Call before `start()`.
   * Throws on a name that is not a token, a value with CR, LF or other
   * control characters, or a header the driver negotiates itself.
   */
  setHeader(name: string, value: string | number): void {
    if (this.#started) throw new Error('setHeader() must be called before start()');
    this.outgoingHeaders.set(name, value);
  }

  /**
   * Registers a protocol extension (permessage-deflate, say), negotiated
   * through `Sec-WebSocket-Extensions` when the handshake is sent: a
   * client offers it, a server accepts it if the client offered it. Any
   * extension written for faye's `websocket-extensions` framework works.
   * Call before `start()`. Returns false if the protocol version has no
   * extensions (the hixie drafts); throws a TypeError on a malformed
   * extension or a name already added.
   */
  addExtension(extension: Extension): boolean {
    if (this.#started) throw new Error('addExtension() must be called before start()');
    return this.registerExtension(extension);
  }

  /** The extensions negotiated in the handshake, with their parameters; empty until `open`. */
  get extensions(): readonly NegotiatedExtension[] {
    return NO_EXTENSIONS;
  }

  /**
   * Begins the handshake: a server sends its response (or a 400/426
   * rejection), a client its request. Returns true if a handshake was sent.
   */
  start(): boolean {
    return this.hub.run(() => {
      if (this.#started || this.state.kind === 'closed') return false;
      this.#started = true;
      // Input from before start() comes first, then any that an `open`
      // listener passes to parse() during the handshake.
      if (this.#earlyInputBytes !== null && this.#earlyInputBytes.length > 0) this.#heldInput = [this.#earlyInputBytes.take()];
      this.#reading = true;
      try {
        const sent = this.handshake();
        this.#readHeldInput();
        return sent;
      } finally {
        this.#heldInput = null;
        this.#reading = false;
      }
    });
  }

  /**
   * Feeds bytes received from the transport. They may be split anywhere.
   * The driver takes ownership of `bytes`: it may unmask frames in place,
   * and binary messages may be views into it, so do not reuse the buffer.
   * Malformed input never throws: it emits `error` and `close`.
   */
  parse(bytes: Uint8Array): void {
    // enter/exit rather than hub.run(() => ...): no closure per call.
    this.hub.enter();
    try {
      const chunk = toBytes(bytes);
      if (chunk.length === 0 || this.state.kind === 'closed') return;
      if (this.#started) {
        this.#receive(chunk);
        return;
      }
      // Held until start(); bounded, so a peer cannot grow it forever.
      const early = (this.#earlyInputBytes ??= new ByteAccumulator());
      if (early.length + chunk.length > this.options.maxLength) {
        early.reset();
        this.failConnection(protocolError('INPUT_BEFORE_START_TOO_LARGE', { max: this.options.maxLength }));
        return;
      }
      early.append(chunk.slice());
    } finally {
      this.hub.exit();
    }
  }

  /** Sends a text message, or queues it until open. False if it can no longer be sent. */
  text(message: string): boolean {
    if (typeof message !== 'string') throw new TypeError('text() takes a string');
    // The queue is counted in bytes; the size matters only while connecting.
    const size = this.state.kind === 'connecting' ? utf8Length(message) : 0;
    this.hub.enter();
    try {
      return this.state.kind === 'open' ? this.sendText(message) : this.#sendOrQueue({ kind: 'text', data: message }, size);
    } finally {
      this.hub.exit();
    }
  }

  /**
   * Sends a message prepared once for many connections (see
   * {@link PreparedMessage}): an open RFC 6455 server connection writes its
   * shared frame as it is; any other sends it as `text()` or `binary()`
   * would (queued until open). False if it can no longer be sent.
   */
  sendPrepared(message: PreparedMessage): boolean {
    // Checked by shape: an app that never prepares a message does not bundle the class.
    if (!((message as PreparedMessage | null)?.frame instanceof Uint8Array)) throw new TypeError('sendPrepared() takes a PreparedMessage');
    if (this.state.kind !== 'open') return message.text !== null ? this.text(message.text) : this.binary(message.payload);
    this.hub.enter();
    try {
      return this.sendPreparedFrame(message);
    } finally {
      this.hub.exit();
    }
  }

  /**
   * Sends a binary message, or queues it until open. False if it can no
   * longer be sent, or if the protocol version has no binary messages.
   */
  binary(message: Uint8Array | ArrayBuffer | ArrayBufferView): boolean {
    const data = toBytes(message);
    this.hub.enter();
    try {
      return this.state.kind === 'open' ? this.sendBinary(data) : this.#sendOrQueue({ kind: 'binary', data }, data.length);
    } finally {
      this.hub.exit();
    }
  }

  /**
   * Sends a ping, or queues it until open. `callback` runs when a pong with
   * the same payload arrives. False if it cannot be sent, the version has
   * no pings, or `maxPendingPings` callbacks are already waiting.
   */
  ping(message: string | Uint8Array = '', callback?: () => void): boolean {
    const data = toBytes(message);
    if (data.length > 125) throw new RangeError('ping payload is limited to 125 bytes');
    return this.hub.run(() => this.#sendOrQueue({ kind: 'ping', data, callback }, data.length));
  }

  /** Sends an unsolicited pong, or queues it until open. */
  pong(message: string | Uint8Array = ''): boolean {
    const data = toBytes(message);
    if (data.length > 125) throw new RangeError('pong payload is limited to 125 bytes');
    return this.hub.run(() => this.#sendOrQueue({ kind: 'pong', data }, data.length));
  }

  /**
   * Starts the closing handshake. Before the connection opens, it ends it
   * at once. Returns false if the connection is already closing or closed.
   * Throws on a code that may not be sent or a reason over 123 bytes.
   */
  close(code: number = CloseCode.NORMAL, reason = ''): boolean {
    checkCloseArguments(code, reason);
    this.checkClose(code, reason);
    return this.hub.run(() => {
      switch (this.state.kind) {
        case 'connecting':
          this.#queue = null;
          this.finish(code, reason, false);
          return true;
        case 'open':
          this.closeOpenConnection(code, reason);
          return true;
        default:
          return false;
      }
    });
  }

  /**
   * Tells the driver the transport has ended. If no close handshake
   * completed, `close` fires with 1006. Given the transport's failure
   * (`cause`: a refused connection, a TLS error, a reset), the driver first
   * emits `error` with a `TRANSPORT_ERROR` {@link ProtocolError} whose
   * `cause` it is, and the `close` reason is its message.
   */
  transportClosed(cause?: unknown): void {
    this.hub.run(() => {
      if (this.state.kind === 'closed') return;
      if (cause === undefined) {
        this.finish(CloseCode.ABNORMAL, '', false);
        return;
      }
      const error = transportError(cause);
      this.hub.emit('error', error);
      this.finish(CloseCode.ABNORMAL, error.message, false);
    });
  }

  /**
   * Server drivers' `reject()`: answers the request with a plain-text HTTP
   * error instead of the handshake and ends the driver with 1006. False
   * once the handshake was sent or the driver closed.
   *
   * @internal
   */
  protected refuseHandshake(status: number, message: string): boolean {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError('reject() takes a 4xx or 5xx status');
    }
    return this.hub.run(() => {
      if (this.#started || this.state.kind !== 'connecting') return false;
      this.#started = true;
      this.socket.write(errorResponse(status, message));
      this.finish(CloseCode.ABNORMAL, message, false);
      return true;
    });
  }

  /** Hook for `addExtension()`: false unless the protocol version has extensions. */
  protected registerExtension(_extension: Extension): boolean {
    return false;
  }

  /** Server: writes the response. Client: writes the request. True if sent. */
  protected abstract handshake(): boolean;
  /** Bytes received after `start()`. */
  protected abstract receive(bytes: Uint8Array): void;
  /**
   * Sends a text message on the open connection; false if it cannot be sent.
   *
   * @internal
   */
  protected abstract sendText(message: string): boolean;
  /**
   * Sends a binary message on the open connection; false if it cannot be sent.
   *
   * @internal
   */
  protected abstract sendBinary(message: Uint8Array): boolean;
  /**
   * Sends a prepared message on the open connection: by default the usual
   * way, each connection encoding its own frame.
   *
   * @internal
   */
  protected sendPreparedFrame(message: PreparedMessage): boolean {
    return message.text !== null ? this.sendText(message.text) : this.sendBinary(message.payload);
  }
  /**
   * Sends a ping on the open connection, registering `callback` for its pong.
   *
   * @internal
   */
  protected abstract sendPing(message: Uint8Array, callback: (() => void) | undefined): boolean;
  /**
   * Sends a pong on the open connection.
   *
   * @internal
   */
  protected abstract sendPong(message: Uint8Array): boolean;
  /** Starts the closing handshake from the open state. */
  protected abstract closeOpenConnection(code: number, reason: string): void;
  /** Throws if `close(code, reason)` is a caller mistake for this protocol. */
  protected abstract checkClose(code: number, reason: string): void;
  /** Sends whatever tells the peer the connection failed, if anything; `prior` is the state the fault came in. */
  protected abstract sendFailure(error: ProtocolError, prior: ConnectionState): void;

  /**
   * Open → closing: the closing handshake began, started by the side
   * `next` names; emits `closing`. Moves within the closing states are
   * the protocol driver's own.
   *
   * @internal
   */
  protected enterClosing(next: ClosingState): void {
    if (this.state.kind !== 'open') return;
    this.state = next;
    this.hub.emit('closing', {});
  }

  /**
   * Empties the queue of messages sent before open and returns it, for a
   * driver that takes over this one's connection (`Driver.server`, once the
   * request names the protocol).
   *
   * @internal
   */
  protected takeQueue(): readonly Queued[] {
    const queue = this.#queue ?? [];
    this.#queue = null;
    this.#queuedBytes = 0;
    return queue;
  }

  /** The handshake completed: flush the queue, then emit `open`. */
  protected openConnection(): void {
    this.state = OPEN;
    const queue = this.#queue;
    this.#queue = null;
    this.#queuedBytes = 0;
    if (queue !== null) for (const item of queue) this.#send(item);
    this.hub.emit('open', {});
  }

  /** Ends the connection and emits `close`, once. */
  protected finish(code: number, reason: string, wasClean: boolean): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', code, reason, wasClean };
    this.#queue = null;
    this.#earlyInputBytes = null;
    this.onClosed();
    this.hub.emit('close', { code, reason, wasClean });
  }

  /** Hook: the connection just closed; release what is held. */
  protected onClosed(): void {}

  /**
   * The peer broke the protocol: report it, tell the peer, close. The state
   * is `failing` while `error` is emitted, so a listener's `close()` cannot
   * send its own code before the one the fault prescribes (§7.1.7).
   */
  protected failConnection(error: ProtocolError): void {
    const prior = this.state;
    if (prior.kind === 'closed' || prior === FAILING) return;
    this.state = FAILING;
    this.hub.emit('error', error);
    // A listener may have ended the transport meanwhile.
    if (this.state.kind === 'closed') return;
    this.sendFailure(error, prior);
    this.finish(error.closeCode, error.message, false);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#reading) {
      (this.#heldInput ??= []).push(chunk);
      return;
    }
    this.#reading = true;
    try {
      this.receive(chunk);
      this.#readHeldInput();
    } finally {
      this.#heldInput = null;
      this.#reading = false;
    }
  }

  /** Reads the chunks that arrived while another was read; the caller has set #reading. */
  #readHeldInput(): void {
    const held = this.#heldInput;
    if (held === null) return;
    // A listener may add to `held` while it is read: the loop reaches it.
    for (let i = 0; i < held.length && this.state.kind !== 'closed'; i++) this.receive(held[i]!);
  }

  #sendOrQueue(item: Queued, size: number): boolean {
    switch (this.state.kind) {
      case 'open':
        return this.#send(item);
      case 'connecting':
        // Counted with its entry's overhead, so empty messages are bounded too.
        if (this.#queuedBytes + size + QUEUED_ENTRY_OVERHEAD > this.options.maxQueuedBytes) return false;
        this.#queuedBytes += size + QUEUED_ENTRY_OVERHEAD;
        (this.#queue ??= []).push(item);
        return true;
      default:
        return false;
    }
  }

  #send(item: Queued): boolean {
    switch (item.kind) {
      case 'text':
        return this.sendText(item.data);
      case 'binary':
        return this.sendBinary(item.data);
      case 'ping':
        return this.sendPing(item.data, item.callback);
      case 'pong':
        return this.sendPong(item.data);
    }
  }
}
