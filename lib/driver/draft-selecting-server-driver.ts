/**
 * `Driver.server` with `allowDrafts` (once `wsdriver/drafts` registered
 * it): the request may speak RFC 6455 or a hixie draft, and which is known
 * only once its head is in. Until then this is a {@link BaseDriver} like
 * any other, with its listeners, argument checks, queue before open and
 * state; then the driver chosen for the request takes over: it emits on
 * the same listeners, gets the headers, extensions and queued messages set
 * up so far, and every call goes to it. Then `connect` fires with `env`,
 * `url` and `headers` set. Bytes that came with the head are read once the
 * `connect` listeners have run.
 *
 * Without `allowDrafts` the protocol is known from the start, and
 * `Driver.server` makes a {@link HybiHttpServerDriver}, which reads the
 * head itself as its first stage.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';
import { RequestHeadParser, type HeaderFields } from '../http/head-parser.js';
import { requestFromHead, type RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { ExtensionStack } from '../extensions/extension-stack.js';
import { encodeClosePayload } from '../frame/close-payload.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { BaseDriver, type SendCallback } from '../connection/base-driver.js';
import type { DeadlineKeeper } from '../connection/deadlines.js';
import { PauseReason } from '../connection/input-gate.js';
import type { PieceHost, StreamedOut } from '../hybi/outgoing-message.js';
import type { ReadyState } from '../connection/connection-state.js';
import type { Socket } from '../events.js';
import type { HttpServerSide, ServerSideDriver } from '../connection/server-side.js';
import { selectServerDriver } from './select-server-driver.js';

/** `Driver.server`'s driver with drafts allowed; see the module comment. */
export class DraftSelectingServerDriver extends BaseDriver implements HttpServerSide {
  /** Always `'server'`. */
  readonly role = 'server';
  #head: RequestHeadParser | null;
  #delegate: ServerSideDriver | null = null;
  // Extensions added before the request arrived, checked on the way in as
  // the protocol driver will check them; made on first need.
  #extensions: Extension[] | null = null;
  #extensionCheck: ExtensionStack | null = null;
  // Input after the request head, while `connect` listeners run: read once
  // they return (see parse()).
  #afterHead: Uint8Array[] | null = null;
  // useDeadlines() before the request arrived: the handshake deadline runs
  // here (a head not complete in time is answered 408), then the protocol
  // driver gets the same keeper from the same start.
  #deadlineStart: { readonly keeper: DeadlineKeeper; readonly now: number } | null = null;

  /**
   * Made by `Driver.server` with `allowDrafts`, which checks the options; use that.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    this.#head = new RequestHeadParser(options);
  }

  /** A server that has not answered by the handshake deadline answers 408. */
  protected override get answersHttp(): boolean {
    return true;
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

  /** The protocol version chosen for the request; '' until `connect`. */
  get version(): string {
    return this.#delegate?.version ?? '';
  }

  override get protocol(): string | null {
    return this.#delegate?.protocol ?? null;
  }

  override get readyState(): ReadyState {
    return this.#delegate?.readyState ?? super.readyState;
  }

  /** Bytes of received input held: the partial request head, then the protocol driver's. */
  override get retainedBytes(): number {
    return this.#delegate?.retainedBytes ?? this.#head?.retainedBytes ?? 0;
  }

  override get extensions(): readonly NegotiatedExtension[] {
    return this.#delegate?.extensions ?? super.extensions;
  }

  /** Feeds received bytes: first the request head, then frames. */
  override parse(bytes: Uint8Array): void {
    const delegate = this.#delegate;
    if (delegate !== null) {
      if (this.#afterHead !== null) this.#afterHead.push(bytes);
      else delegate.parse(bytes);
      return;
    }
    this.hub.run(() => {
      const head = this.#head;
      if (head === null || this.state.kind === 'closed') return;
      const result = this.readRequestHead(head, bytes);
      if (result === null) return;
      this.#head = null;
      const chosen = selectServerDriver(requestFromHead(result.head), this.socket, this.options, this.hub);
      this.#handOver(chosen);
      this.#delegate = chosen;
      // Bytes that came with the head are read once the `connect` listeners
      // have had their chance to call start(): then they are frames, not
      // input held before start() (which maxLength bounds). Input a
      // listener passes to parse() meanwhile queues behind them.
      const afterHead: Uint8Array[] = result.rest.length > 0 ? [result.rest] : [];
      this.#afterHead = afterHead;
      try {
        this.hub.emit('connect', {});
      } finally {
        this.#afterHead = null;
      }
      for (const chunk of afterHead) chosen.parse(chunk);
    });
  }

  /** Accepts the request: sends the handshake response. False before `connect`. */
  override start(): boolean {
    return this.#delegate?.start() ?? false;
  }

  /** Refuses the request with a plain-text HTTP response (400 by default). False before `connect`. */
  reject(status?: number, message?: string): boolean {
    return this.#delegate?.reject(status, message) ?? false;
  }

  override text(message: string, done?: SendCallback): boolean {
    return this.#delegate?.text(message, done) ?? super.text(message, done);
  }

  /** As {@link BaseDriver.sendPrepared}: the chosen protocol driver's once known, queued before. */
  override sendPrepared(message: PreparedMessage): boolean {
    return this.#delegate?.sendPrepared(message) ?? super.sendPrepared(message);
  }

  /** As {@link BaseDriver.binary}; false once known if the draft chosen has no binary messages. */
  override binary(message: Uint8Array | ArrayBuffer | ArrayBufferView, done?: SendCallback): boolean {
    return this.#delegate?.binary(message, done) ?? super.binary(message, done);
  }

  override ping(message?: string | Uint8Array, callback?: () => void): boolean {
    return this.#delegate?.ping(message, callback) ?? super.ping(message, callback);
  }

  override pong(message?: string | Uint8Array): boolean {
    return this.#delegate?.pong(message) ?? super.pong(message);
  }

  /** As {@link BaseDriver.close}; before `connect` it ends the driver at once, writing nothing. */
  override close(code?: number, reason?: string): boolean {
    if (this.#delegate !== null) return this.#delegate.close(code, reason);
    return super.close(code, reason);
  }

  override setHeader(name: string, value: string | number): void {
    if (this.#delegate !== null) this.#delegate.setHeader(name, value);
    else super.setHeader(name, value);
  }

  /**
   * As {@link BaseDriver.addExtension}; before `connect` it is kept for the
   * protocol driver, so this returns true even if a draft is chosen later.
   */
  override addExtension(extension: Extension): boolean {
    return this.#delegate?.addExtension(extension) ?? super.addExtension(extension);
  }

  /** As {@link BaseDriver.transportClosed}: the transport ended, or failed with `cause`. */
  override transportClosed(cause?: unknown): void {
    if (this.#delegate !== null) this.#delegate.transportClosed(cause);
    else super.transportClosed(cause);
  }

  // --- flow control (docs/flow-control.md): this stage's, then the protocol driver's ---

  override get bufferedAmount(): number {
    return this.#delegate?.bufferedAmount ?? super.bufferedAmount;
  }

  override get isPaused(): boolean {
    return this.#delegate?.isPaused ?? super.isPaused;
  }

  override pause(): void {
    if (this.#delegate !== null) this.#delegate.pause();
    else super.pause();
  }

  /** As {@link BaseDriver.resume}; before the request arrived, the input held is read as the head. */
  override resume(): void {
    if (this.#delegate !== null) {
      this.#delegate.resume();
      return;
    }
    this.hub.run(() => {
      if (!this.inputGate.resume(PauseReason.APPLICATION)) return;
      const held = this.inputGate.take();
      // The protocol driver this may make starts unpaused.
      if (held !== null) this.parse(held);
      if (!this.isPaused && this.readyState !== 3) this.hub.emit('resume', {});
    });
  }

  override transportDrained(): void {
    if (this.#delegate !== null) this.#delegate.transportDrained();
    else super.transportDrained();
  }

  /** As {@link BaseDriver.useDeadlines}; before the request arrives, a head not complete in time is answered 408. */
  override useDeadlines(keeper: DeadlineKeeper, now: number): void {
    if (this.#delegate !== null) {
      this.#delegate.useDeadlines(keeper, now);
      return;
    }
    super.useDeadlines(keeper, now);
    this.#deadlineStart = { keeper, now };
  }

  override get deadline(): number | null {
    return this.#delegate !== null ? this.#delegate.deadline : super.deadline;
  }

  override tick(now: number): void {
    if (this.#delegate !== null) this.#delegate.tick(now);
    else super.tick(now);
  }

  /** @internal As `HybiDriver.beginMessage` (for `startMessage()`); null before the connection is open, or on a hixie draft. */
  beginMessage<M extends StreamedOut>(make: (host: PieceHost) => M): M | null {
    const delegate = this.#delegate as (ServerSideDriver & { beginMessage?(make: (host: PieceHost) => M): M | null }) | null;
    return delegate?.beginMessage?.(make) ?? null;
  }

  /** The protocol driver takes over what was set up before the request arrived. */
  #handOver(chosen: ServerSideDriver): void {
    // A header the chosen driver refuses (a draft's own, say) is the
    // caller's mistake: reported once parse() is done, without leaving the
    // hand-over half done.
    for (const [name, value] of this.outgoingHeaders.entries()) this.hub.call(() => chosen.setHeader(name, value));
    for (const extension of this.#extensions ?? []) chosen.addExtension(extension);
    this.#extensions = null;
    this.#extensionCheck = null;
    // The deadlines run on there, from the same start.
    const deadlineStart = this.#deadlineStart;
    this.#deadlineStart = null;
    this.deadlines = null;
    if (deadlineStart !== null) chosen.useDeadlines(deadlineStart.keeper, deadlineStart.now);
    // Messages queued here queue there, in order, until it opens.
    for (const item of this.takeQueue()) {
      if (item.kind === 'text') chosen.text(item.data, item.done);
      else if (item.kind === 'binary') chosen.binary(item.data, item.done);
      else if (item.kind === 'ping') chosen.ping(item.data, item.callback);
      else chosen.pong(item.data);
    }
  }


  // --- BaseDriver's hooks, for the stage before the request arrives ---

  protected override registerExtension(extension: Extension): boolean {
    (this.#extensionCheck ??= new ExtensionStack(this.options.maxLength)).add(extension);
    (this.#extensions ??= []).push(extension);
    return true;
  }

  protected checkClose(code: number, reason: string): void {
    // The same caller checks as once connected (a code that may not be sent throws).
    encodeClosePayload(code, reason);
  }

  protected override onClosed(): void {
    this.#head = null;
    this.#extensions = null;
  }

  // Never reached: start() and parse() go to the protocol driver, and this
  // stage never opens, so it sends nothing.
  protected handshake(): boolean {
    return false;
  }
  protected receive(_bytes: Uint8Array): void {}
  protected sendText(_message: string | Uint8Array): boolean {
    return false;
  }
  protected sendBinary(_message: Uint8Array): boolean {
    return false;
  }
  protected sendPing(_message: Uint8Array, _callback: (() => void) | undefined): boolean {
    return false;
  }
  protected sendPong(_message: Uint8Array): boolean {
    return false;
  }
  protected closeOpenConnection(_code: number, _reason: string): void {}
  protected sendFailure(_error: ProtocolError): void {}
}
