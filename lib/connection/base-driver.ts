/**
 * What every driver shares, whatever its protocol version: the event
 * façade, the connection state, input that arrives before `start()`,
 * messages queued until the connection opens, and the rule that the
 * `close` event fires exactly once.
 *
 * Protocol drivers (RFC 6455's, lib/hybi/) fill in the abstract methods;
 * the server driver that may speak a hixie draft passes them on to the
 * draft's protocol part (`DraftProtocol`, server-side.ts). Nothing here
 * knows about frames.
 *
 * @module
 */
import { Close, ProtocolError, protocolError, transportError } from '../errors.js';
import { EventHub, type Listener } from '../emitter.js';
import { ByteAccumulator } from '../frame/byte-accumulator.js';
import { isValidUtf8 } from '../frame/utf8-validator.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { OutgoingHeaders } from '../http/outgoing-headers.js';
import { errorResponse, unreadableHeadResponse } from '../http/serialize.js';
import type { RequestHead, RequestHeadParser } from '../http/head-parser.js';
import { QUEUED_ENTRY_OVERHEAD, type ResolvedOptions } from '../options.js';
import { CONNECTING, FAILING, OPEN, readyStateOf, type ClosingState, type ConnectionState, type ReadyState } from './connection-state.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { DeadlineClock, DeadlineKeeper } from './deadlines.js';
import { inputBorrowed } from '../frame/borrowed-input.js';
import { InputGate, PauseReason } from './input-gate.js';
import { SendFlow } from './send-flow.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { copyBytes, outgoingBytes, toBytes, utf8Length } from '../bytes.js';

/** A message or control frame waiting for the connection to open. */
type Queued =
  | { readonly kind: 'text'; readonly data: string | Uint8Array; readonly done: SendCallback | undefined }
  | { readonly kind: 'binary'; readonly data: Uint8Array; readonly done: SendCallback | undefined }
  | { readonly kind: 'ping'; readonly data: Uint8Array; readonly done: PingCallback | undefined }
  | { readonly kind: 'pong'; readonly data: Uint8Array; readonly done?: undefined };

/**
 * Called once a message has been handed to `socket.write()`, or with an
 * error if the connection ended before it could be (docs/flow-control.md).
 */
export type SendCallback = (error?: Error) => void;

/**
 * Called when the pong answering a ping arrives, or with an error if the
 * ping was accepted while connecting but never sent (the connection closed
 * first, or turned out to speak a hixie draft, which has no pings).
 */
export type PingCallback = (error?: Error) => void;

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

function checkSendCallback(done: unknown): void {
  if (done !== undefined && typeof done !== 'function') throw new TypeError('the send callback must be a function');
}

/** Why a callback's message was never sent, unless a failure site says more. */
export const CLOSED_BEFORE_SENT = 'the connection closed before the message was sent';

/**
 * Tells a callback its message, piece or ping was never sent, and why.
 *
 * @internal
 */
export function failSend(done: (error?: Error) => void, why = CLOSED_BEFORE_SENT): void {
  queueMicrotask(() => done(new Error(why)));
}

function failQueued(queue: readonly Queued[]): void {
  for (const item of queue) if (item.done !== undefined) failSend(item.done);
}

/**
 * Shared machinery of all drivers; see the module comment.
 *
 * The drivers' state is in TypeScript `private` fields, not `#` ones, and
 * the derived drivers have no `#` methods: a driver has over 30 fields,
 * and V8 makes an object a dictionary (a hash lookup per field read) once
 * more than 15 of its properties were defined through private names, as
 * soon as it has sized the class with no instance alive (the seventh
 * connection after six closed ones). BaseDriver's own `#` methods are fine:
 * their brand is the object's first property. test/perf/object-shapes.test.ts.
 *
 * The fields are `declare`d and every one is set in the constructor, in
 * the order declared (which is the object's layout), rather than by field
 * initializers: V8 runs a class's initializers as a function of their
 * own, one more per class of the chain (here, `HybiDriver` and
 * `HybiServerBase`), interpreted and then compiled on its own while a
 * server accepts its first thousands of connections (bench/analysis.md,
 * "Accepts, session 7"). It also bundles smaller.
 */
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
  declare protected agreedProtocol: string | null;

  /**
   * Where events are emitted.
   *
   * @internal
   */
  declare protected readonly hub: EventHub<DriverEventMap>;
  /**
   * Where every byte this driver produces is written: `sendFlow`, which
   * writes to the application's socket (a getter, not a second field).
   *
   * @internal
   */
  protected get socket(): Socket {
    return this.sendFlow;
  }
  /**
   * The socket's backpressure as the driver sees it; `socket` writes through it.
   *
   * @internal
   */
  declare protected readonly sendFlow: SendFlow;
  /**
   * Input held while delivery is paused.
   *
   * @internal
   */
  protected get inputGate(): InputGate {
    return (this.gate ??= new InputGate(this.options.maxPausedBytes));
  }
  /**
   * True while input is paused; never makes the gate.
   *
   * @internal
   */
  protected get inputPaused(): boolean {
    return this.gate !== null && this.gate.paused;
  }
  // Made on the first pause: an idle connection that never pauses holds none.
  declare private gate: InputGate | null;
  /**
   * The deadlines, once `useDeadlines()` turned them on.
   *
   * @internal
   */
  declare protected deadlines: DeadlineClock | null;
  /**
   * A server that answers HTTP itself sets this: a handshake that times
   * out before it answered is answered with 408.
   *
   * @internal
   */
  protected get answersHttp(): boolean {
    return false;
  }
  /**
   * The options, defaults filled in and checked.
   *
   * @internal
   */
  declare protected readonly options: ResolvedOptions;
  // Made on the first setHeader(): most connections add none.
  declare private ownHeaders: OutgoingHeaders | null;
  /**
   * Headers added with `setHeader()`, for the handshake.
   *
   * @internal
   */
  protected get outgoingHeaders(): OutgoingHeaders {
    return (this.ownHeaders ??= new OutgoingHeaders());
  }
  /**
   * The headers added with `setHeader()` as header lines; '' for none.
   *
   * @internal
   */
  protected get outgoingHeaderLines(): string {
    return this.ownHeaders?.serialize() ?? '';
  }
  /**
   * Where the connection stands; `readyState` is derived from it.
   *
   * @internal
   */
  declare protected state: ConnectionState;

  declare private handshakeStarted: boolean;
  // Input before start(), copied: one accumulator rather than one array
  // per chunk, so a peer trickling bytes cannot pin more than about twice
  // what it sent (see ByteAccumulator). Made on first need.
  declare private earlyInputBytes: ByteAccumulator | null;
  // Input is read one chunk at a time: a chunk passed to parse() from a
  // listener while another is being read (a synchronous transport, say)
  // waits here and is read next, so the stream keeps its order. Made on
  // first need, as is the queue.
  declare private reading: boolean;
  declare private heldInput: Uint8Array[] | null;
  declare private queue: Queued[] | null;
  declare private queuedBytes: number;

  /**
   * Made through the subclasses; applications get drivers from the `Driver`
   * factories, which check the options.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    if (socket === null || typeof socket !== 'object' || typeof socket.write !== 'function') {
      throw new TypeError('socket must be an object with a write(bytes) method');
    }
    this.agreedProtocol = null;
    // Listeners see the driver as `this`.
    this.hub = new EventHub(this);
    this.sendFlow = new SendFlow(socket, options.maxBufferedBytes);
    this.gate = null;
    this.deadlines = null;
    this.options = options;
    this.ownHeaders = null;
    this.state = CONNECTING;
    this.handshakeStarted = false;
    this.earlyInputBytes = null;
    this.reading = false;
    this.heldInput = null;
    this.queue = null;
    this.queuedBytes = 0;
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
    return (this.earlyInputBytes?.retainedBytes ?? 0) + (this.gate?.retainedBytes ?? 0);
  }

  /**
   * Bytes accepted for sending that have not left yet: what the socket
   * reports as its own `bufferedAmount`, plus what the driver holds (a
   * message in the extension pipeline, a pending pong). Compared with
   * `maxBufferedBytes` by `text()` and `binary()`.
   */
  get bufferedAmount(): number {
    return this.sendFlow.bufferedAmount;
  }

  /** True while delivery is paused (by `pause()`, or while a pong waits for the transport); false once closed. */
  get isPaused(): boolean {
    return this.inputPaused;
  }

  /**
   * Stops delivering: input given to `parse()` is held unread (up to
   * `maxPausedBytes`) until `resume()`, and `pause` asks the transport to
   * stop reading. Idempotent.
   */
  pause(): void {
    this.hub.run(() => {
      if (this.state.kind !== 'closed') this.pauseInput(PauseReason.APPLICATION);
    });
  }

  /** Delivers again: reads what was held, then emits `resume`. */
  resume(): void {
    this.hub.run(() => {
      if (this.gate?.pausedBy(PauseReason.APPLICATION) === true) this.onApplicationResume();
      this.resumeInput(PauseReason.APPLICATION);
    });
  }

  /**
   * Hook: the application resumed delivery (other reasons to pause may
   * remain); output stopped for it may go on.
   *
   * @internal
   */
  protected onApplicationResume(): void {}

  /**
   * Turns on the deadlines (docs/flow-control.md) that `keeper` holds
   * (made by `deadlineKeeper(settings)`: the opening handshake, keepalive
   * pings and their pongs, the closing handshake), counted from `now`
   * (milliseconds, any clock, the same as later `tick()` calls). Then call
   * `tick(now)` by `deadline`, and on `open` and `closing`. Replaces
   * earlier deadlines.
   */
  useDeadlines(keeper: DeadlineKeeper, now: number): void {
    // The keeper carries the clock's code, so a driver that never uses deadlines does not bundle it.
    if (typeof keeper?.start !== 'function') {
      throw new TypeError("useDeadlines() takes deadlineKeeper(settings), imported from 'wsdriver'");
    }
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('now must be a finite number of milliseconds');
    if (this.state.kind === 'closed') return;
    const clock = keeper.start(now);
    if (this.state.kind !== 'connecting') clock.opened();
    if (this.state.kind === 'closing') clock.closing();
    this.deadlines = this.state.kind === 'open' && clock.doneAtOpen ? null : clock;
  }

  /** When `tick()` must next be called (the clock of `useDeadlines()`), or null. */
  get deadline(): number | null {
    return this.deadlines?.next ?? null;
  }

  /**
   * Tells the driver the time: acts on every deadline that has passed (a
   * keepalive ping, a late pong failing with 1011, a handshake or closing
   * handshake taking too long).
   */
  tick(now: number): void {
    if (typeof now !== 'number' || Number.isNaN(now)) throw new TypeError('now must be a number of milliseconds');
    // Called on every `open` by the adapters: no closure per call.
    this.hub.enter();
    try {
      for (;;) {
        const clock = this.deadlines;
        if (clock === null) return;
        const expired = clock.advance(now);
        if (expired === null) return;
        switch (expired) {
          case 'handshake':
            this.#handshakeTimedOut();
            break;
          case 'ping':
            // Sent only while open. A protocol without pings (the hixie
            // drafts) sends none, so no pong can be late: keepalive stops
            // rather than failing a healthy connection with PONG_TIMEOUT.
            if (!this.sendPing(new Uint8Array(0), undefined)) clock.stopKeepalive();
            break;
          case 'pong':
            this.failConnection(protocolError('PONG_TIMEOUT', {}));
            break;
          case 'close':
            this.#endWithoutClose(protocolError('CLOSE_TIMEOUT', {}));
            break;
        }
      }
    } finally {
      this.hub.exit();
    }
  }

  #handshakeTimedOut(): void {
    if (this.state.kind !== 'connecting') return;
    // RFC 9110 §15.5.9: 408, the server would not wait any longer for the request.
    if (this.answersHttp && !this.handshakeStarted) {
      this.handshakeStarted = true;
      this.socket.write(errorResponse(408, 'Request Timeout'));
    }
    this.#endWithoutClose(protocolError('HANDSHAKE_TIMEOUT', {}));
  }

  /** Reports `error` and ends with its code, sending no close frame (the transport is to be dropped). */
  #endWithoutClose(error: ProtocolError): void {
    if (this.state.kind === 'closed') return;
    this.hub.emit('error', error);
    this.finish(error.closeCode, error.message, false);
  }

  /**
   * The transport has drained after a `write()` returned false: sends what
   * the driver held back, and emits `drain` if anything waited for it.
   */
  transportDrained(): void {
    // Node adapters report every flushed write: most find nothing waiting (a held pong waits too).
    if (!this.sendFlow.awaitsDrain) return;
    this.hub.run(() => {
      if (this.state.kind === 'closed') return;
      const emit = this.sendFlow.drained();
      this.onTransportDrained();
      if (emit) this.hub.emit('drain', {});
    });
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
    if (this.handshakeStarted) throw new Error('setHeader() must be called before start()');
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
    if (this.handshakeStarted) throw new Error('addExtension() must be called before start()');
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
    // enter/exit rather than hub.run(() => ...): no closure per connection.
    this.hub.enter();
    try {
      if (this.handshakeStarted || this.state.kind === 'closed') return false;
      this.handshakeStarted = true;
      // Input from before start() comes first, then any that an `open`
      // listener passes to parse() during the handshake.
      if (this.earlyInputBytes !== null && this.earlyInputBytes.length > 0) this.heldInput = [this.earlyInputBytes.take()];
      this.reading = true;
      try {
        const sent = this.handshake();
        this.#readHeldInput();
        return sent;
      } finally {
        this.heldInput = null;
        this.reading = false;
      }
    } finally {
      this.hub.exit();
    }
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
      this.deadlines?.heard();
      if (this.inputPaused) {
        this.holdWhilePaused(chunk);
        return;
      }
      if (this.handshakeStarted) {
        this.#receive(chunk);
        return;
      }
      this.#holdBeforeStart(chunk.slice());
    } finally {
      this.hub.exit();
    }
  }

  /** Input before start(), held until then; bounded, so a peer cannot grow it forever. */
  #holdBeforeStart(chunk: Uint8Array): void {
    const early = (this.earlyInputBytes ??= new ByteAccumulator());
    if (early.length + chunk.length > this.options.maxLength) {
      early.reset();
      this.failConnection(protocolError('INPUT_BEFORE_START_TOO_LARGE', { max: this.options.maxLength }));
      return;
    }
    early.append(chunk);
  }

  /**
   * `Driver.server`'s first stage: feeds one chunk to the request-head
   * parser. Returns the head and the bytes after it once complete; null
   * while it is incomplete, held (paused), or refused: a head that cannot
   * be read is answered 431 or 400 (RFC 6585 §5) and fails the connection.
   *
   * @internal
   */
  protected readRequestHead(parser: RequestHeadParser, bytes: Uint8Array): { readonly head: RequestHead; readonly rest: Uint8Array } | null {
    if (this.inputPaused) {
      // Paused before the request arrived: held unread, as any paused input.
      this.holdWhilePaused(toBytes(bytes));
      return null;
    }
    const result = parser.push(toBytes(bytes));
    if (result.kind === 'incomplete') return null;
    if (result.kind === 'error') {
      this.socket.write(unreadableHeadResponse(result.error));
      this.failConnection(result.error);
      return null;
    }
    return result;
  }

  /**
   * Input while paused: held unread, up to maxPausedBytes (then the
   * connection fails with 1009). Also for a request head not yet read.
   *
   * @internal
   */
  protected holdWhilePaused(chunk: Uint8Array): void {
    // Before start() the chunk is the caller's until copied (see parse()),
    // as is borrowed input (borrowed-input.ts).
    if (this.inputGate.hold(this.handshakeStarted && !inputBorrowed ? chunk : chunk.slice())) return;
    this.inputGate.clear();
    this.failConnection(protocolError('PAUSED_INPUT_TOO_LARGE', { max: this.options.maxPausedBytes }));
  }

  /**
   * Sends a text message, or queues it until open. False, sending nothing,
   * if it can no longer be sent or if it would take `bufferedAmount` past
   * `maxBufferedBytes` (wait for `drain`). `done` runs once the message has
   * been handed to the socket, or with an error if the connection ended first.
   *
   * `message` is a string, or text already encoded as UTF-8 bytes (what
   * `decodeText: false` delivers): sent as they are, with no encoding
   * step. The bytes are checked (RFC 6455 §5.6: a text frame's payload is
   * UTF-8), and a `TypeError` is thrown if they are not UTF-8; the bytes
   * of the text message being delivered, given back during its own
   * `message` event (an echo, a relay), were checked on receipt and are
   * not checked again (so do not change them before you send them). They are
   * held as `binary()` holds its argument: a large payload from a server
   * goes to the socket by reference, so do not change it until it is
   * flushed (docs/flow-control.md).
   */
  text(message: string | Uint8Array, done?: SendCallback): boolean {
    // Checks bytes at once, whatever the state.
    const size = typeof message === 'string' ? 0 : textSize(message);
    checkSendCallback(done);
    // The queue is counted in bytes; the size matters only while connecting
    // or when something is already buffered.
    const state = this.state.kind;
    if (state === 'open' && this.sendFlow.bufferedAmount !== 0 && !this.sendFlow.admits(size || textSize(message))) return false;
    this.hub.enter();
    try {
      // Bytes queued until open are copied (size is 0 for a string): what was checked above is what is sent, whatever the caller does meanwhile.
      const sent = state === 'open' ? this.sendText(message) : this.#sendOrQueue({ kind: 'text', data: size ? copyBytes(message as Uint8Array) : message, done }, state === 'connecting' ? size || textSize(message) : 0);
      if (sent && done !== undefined && state === 'open') this.settleWhenWritten(done);
      return sent;
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
  binary(message: Uint8Array | ArrayBuffer | ArrayBufferView, done?: SendCallback): boolean {
    const data = outgoingBytes(message);
    checkSendCallback(done);
    const state = this.state.kind;
    if (state === 'open' && !this.sendFlow.admits(data.length)) return false;
    this.hub.enter();
    try {
      // Queued until open as a copy, as text(bytes) is: the caller may reuse its buffer meanwhile (docs/flow-control.md, ownership).
      const sent = state === 'open' ? this.sendBinary(data) : this.#sendOrQueue({ kind: 'binary', data: state === 'connecting' ? copyBytes(data) : data, done }, data.length);
      if (sent && done !== undefined && state === 'open') this.settleWhenWritten(done);
      return sent;
    } finally {
      this.hub.exit();
    }
  }

  /**
   * Sends a ping, or queues it until open. `callback` runs when a pong with
   * the same payload arrives; a ping queued while connecting that is never
   * sent (the connection closed first, or speaks a hixie draft) gets it
   * with an error instead. False if it cannot be sent, the version has
   * no pings, or `maxPendingPings` callbacks are already waiting.
   */
  ping(message: string | Uint8Array = '', callback?: PingCallback): boolean {
    const data = toBytes(message);
    if (data.length > 125) throw new RangeError('ping payload is limited to 125 bytes');
    return this.hub.run(() => this.#sendOrQueue({ kind: 'ping', data, done: callback }, data.length));
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
  close(code: number = Close.NORMAL, reason = ''): boolean {
    checkCloseArguments(code, reason);
    this.checkClose(code, reason);
    return this.hub.run(() => {
      switch (this.state.kind) {
        case 'connecting':
          this.finish(code, reason, false);
          return true;
        case 'open':
          this.closeOpenConnection(code, reason);
          // The closing handshake needs the peer's close frame: a pause
          // (the application's, or for a pong that will never be sent now) ends.
          this.resumeInput(PauseReason.APPLICATION | PauseReason.PENDING_PONG);
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
        this.finish(Close.ABNORMAL, '', false);
        return;
      }
      const error = transportError(cause);
      this.hub.emit('error', error);
      this.finish(Close.ABNORMAL, error.message, false);
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
      if (this.handshakeStarted || this.state.kind !== 'connecting') return false;
      this.handshakeStarted = true;
      this.socket.write(errorResponse(status, message));
      this.finish(Close.ABNORMAL, message, false);
      return true;
    });
  }

  /**
   * Hook: runs `done` once the message just sent has been handed to the
   * socket. Here it was, synchronously; `done` runs on a microtask so it
   * never runs inside `text()`/`binary()`. A driver with a pipeline overrides it.
   *
   * @internal
   */
  protected settleWhenWritten(done: SendCallback): void {
    queueMicrotask(() => done());
  }

  /**
   * Hook: the transport drained; send what was held back for it.
   *
   * @internal
   */
  protected onTransportDrained(): void {}

  /**
   * Stops reading input for the driver's own reason (a pending pong);
   * emits `pause` if input was flowing.
   *
   * @internal
   */
  protected pauseInput(reason: number): void {
    if (!this.inputGate.pause(reason)) return;
    this.onInputPaused();
    this.hub.emit('pause', {});
  }

  /**
   * Hook: input has just been paused; a parser reading a chunk should stop
   * at the next frame and return the rest from `receive()`.
   *
   * @internal
   */
  protected onInputPaused(): void {}

  /**
   * Hook: input flows again.
   *
   * @internal
   */
  protected onInputResumed(): void {}

  /**
   * Drops one reason to pause; if none is left, reads what was held and
   * emits `resume`.
   *
   * @internal
   */
  protected resumeInput(reason: number): void {
    if (this.state.kind === 'closed' || this.gate === null || !this.gate.resume(reason)) return;
    this.onInputResumed();
    if (!this.handshakeStarted) {
      const held = this.inputGate.take();
      if (held !== null) this.#holdBeforeStart(held);
    } else {
      // Reads the gate first (or leaves it to the read loop already running).
      this.#receive(null);
    }
    // Reading the held input may have paused again (a pong in it, say) or
    // ended the connection; the state is read afresh.
    if (!this.inputPaused && this.readyState !== 3) this.hub.emit('resume', {});
  }

  /** Hook for `addExtension()`: false unless the protocol version has extensions. */
  protected registerExtension(_extension: Extension): boolean {
    return false;
  }

  /** Server: writes the response. Client: writes the request. True if sent. */
  protected abstract handshake(): boolean;
  /**
   * Bytes received after `start()`. Returns what it left unread because
   * input was paused while it read (see `onInputPaused`), if anything.
   */
  protected abstract receive(bytes: Uint8Array): Uint8Array | void;
  /**
   * Sends a text message on the open connection; false if it cannot be sent.
   *
   * @internal
   */
  protected abstract sendText(message: string | Uint8Array): boolean;
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
   * Sends a ping on the open connection, registering `callback` for its
   * pong. False if nothing was sent: the protocol version has no pings, or
   * too many callbacks wait.
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
  /**
   * Sends whatever tells the peer the connection failed, if anything; `prior` is the state the fault came in.
   *
   * @internal
   */
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
    this.deadlines?.closing();
    this.hub.emit('closing', {});
  }

  /** The handshake completed: flush the queue, then emit `open`. */
  protected openConnection(): void {
    this.state = OPEN;
    this.deadlines?.opened();
    // Nothing left to time: an idle connection need not keep its clock.
    if (this.deadlines?.doneAtOpen === true) this.deadlines = null;
    const queue = this.queue;
    this.queue = null;
    this.queuedBytes = 0;
    if (queue !== null) {
      for (const item of queue) {
        const sent = this.#send(item);
        const done = item.done;
        // Not sent while still open: the protocol has no such frame (a
        // binary message or a ping on a hixie draft), or too many ping
        // callbacks wait. A ping's callback otherwise waits for its pong.
        if (done === undefined) continue;
        if (!sent) failSend(done, this.state.kind === 'open' ? `${item.kind} not sent on ${this.version}` : undefined);
        else if (item.kind !== 'ping') this.settleWhenWritten(done);
      }
    }
    this.hub.emit('open', {});
  }

  /** Ends the connection and emits `close`, once. */
  protected finish(code: number, reason: string, wasClean: boolean): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', code, reason, wasClean };
    const queue = this.queue;
    this.queue = null;
    this.earlyInputBytes = null;
    // A pause ends with the connection: nothing is held or delivered any
    // more, and the transport may be read to its end (a server waits for
    // the client's FIN, RFC 6455 §7.1.1), so `resume` tells it so.
    const wasPaused = this.inputPaused;
    this.gate = null;
    this.deadlines?.stop();
    this.deadlines = null;
    this.onClosed();
    if (queue !== null) failQueued(queue);
    if (wasPaused) this.hub.emit('resume', {});
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

  #receive(chunk: Uint8Array | null): void {
    if (this.reading) {
      if (chunk !== null) (this.heldInput ??= []).push(inputBorrowed ? chunk.slice() : chunk);
      return;
    }
    this.reading = true;
    try {
      if (chunk !== null) this.#read(chunk);
      this.#readHeldInput();
    } finally {
      this.heldInput = null;
      this.reading = false;
    }
  }

  /** Reads one chunk; what a pause left unread is held in the gate. */
  #read(chunk: Uint8Array): void {
    const rest = this.receive(chunk);
    if (rest !== undefined && rest.length > 0) this.holdWhilePaused(rest);
  }

  /**
   * Reads, in order, input a pause held back and chunks that arrived while
   * another was read; the caller has set reading. While paused, chunks
   * join the gate, behind what it already holds.
   */
  #readHeldInput(): void {
    let i = 0;
    while (this.state.kind !== 'closed') {
      if (!this.inputPaused) {
        const fromGate = this.gate?.take() ?? null;
        if (fromGate !== null) {
          this.#read(fromGate);
          continue;
        }
      }
      // A listener may add to the list while it is read: the loop reaches it.
      const held = this.heldInput;
      if (held === null || i >= held.length) return;
      const chunk = held[i++]!;
      if (this.inputPaused) this.holdWhilePaused(chunk);
      else this.#read(chunk);
    }
  }

  #sendOrQueue(item: Queued, size: number): boolean {
    switch (this.state.kind) {
      case 'open':
        return this.#send(item);
      case 'connecting':
        // Counted with its entry's overhead, so empty messages are bounded too.
        if (this.queuedBytes + size + QUEUED_ENTRY_OVERHEAD > this.options.maxQueuedBytes) return false;
        this.queuedBytes += size + QUEUED_ENTRY_OVERHEAD;
        (this.queue ??= []).push(item);
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
        return this.sendPing(item.data, item.done);
      case 'pong':
        return this.sendPong(item.data);
    }
  }
}

/** A text message's payload size in bytes; bytes given to `text()` must be UTF-8 (RFC 6455 §5.6), a caller's mistake otherwise. */
function textSize(message: string | Uint8Array): number {
  if (typeof message === 'string') return utf8Length(message);
  if (!(message instanceof Uint8Array) || !isValidUtf8(message)) throw new TypeError('text() takes a string or UTF-8 bytes');
  return message.length;
}
