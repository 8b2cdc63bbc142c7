/**
 * The server driver when `allowDrafts` is on (once `wsdriver/drafts`
 * registered it): `Driver.server`'s, and `Driver.rack`'s for a request that
 * speaks a hixie draft.
 *
 * It is the RFC 6455 server driver that reads the request head
 * ({@link HybiHttpServerDriver}), so listeners, the queue before open, the
 * state, pauses, flow control and the deadlines (a head not complete in
 * time is answered 408) are its own from the first byte. Once the request
 * is known and names a draft, the draft's protocol part (`DraftProtocol`,
 * lib/drafts/) takes over the hooks that differ: the handshake, reading
 * and writing frames, and closing. Nothing is handed over, since there is
 * one driver. A request that names no draft goes on as RFC 6455.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';
import type { HandshakeRequest } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import type { Extension } from '../extensions/extension.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import type { PingCallback, SendCallback } from '../connection/base-driver.js';
import type { ClosingState, ConnectionState } from '../connection/connection-state.js';
import type { DraftHost, DraftProtocol } from '../connection/server-side.js';
import type { Socket } from '../events.js';
import { HybiHttpServerDriver } from './http-server-driver.js';
import { draftProtocolFor, draftVersionFor } from './select-server-driver.js';

/** A server driver that speaks RFC 6455 or, if the request names one, a hixie draft; see the module comment. */
export class DraftServerDriver extends HybiHttpServerDriver {
  // The draft's part once the request names a draft; null before the
  // request is known, and for an RFC 6455 request.
  #draft: DraftProtocol | null = null;

  /**
   * Made by `Driver.server` (`request` null: read from the input) and
   * `Driver.rack` with `allowDrafts`; use those.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions, request: HandshakeRequest | null) {
    super(socket, options, request);
    if (request !== null) this.#takeDraft(request);
  }

  /** The protocol version: `hixie-75` or `hixie-76` for a draft, else as RFC 6455's. */
  override get version(): string {
    return this.#draft?.version ?? super.version;
  }

  override get retainedBytes(): number {
    return super.retainedBytes + (this.#draft?.retainedBytes ?? 0);
  }

  /** As {@link BaseDriver.setHeader}; once a draft is chosen, its Origin, Location and Protocol headers are refused too. */
  override setHeader(name: string, value: string | number): void {
    this.#draft?.checkHeader(name);
    super.setHeader(name, value);
  }

  // The drafts have text messages only: binary(), ping() and pong() return false.

  /** As {@link BaseDriver.binary}; always false once a draft is chosen. */
  override binary(message: Uint8Array | ArrayBuffer | ArrayBufferView, done?: SendCallback): boolean {
    return this.#draft === null && super.binary(message, done);
  }

  /**
   * As {@link BaseDriver.ping}; always false once a draft is chosen. A ping
   * queued before the request named a draft is never sent: its callback
   * gets an error when the connection opens.
   */
  override ping(message?: string | Uint8Array, callback?: PingCallback): boolean {
    return this.#draft === null && super.ping(message, callback);
  }

  /** As {@link BaseDriver.pong}; always false once a draft is chosen. */
  override pong(message?: string | Uint8Array): boolean {
    return this.#draft === null && super.pong(message);
  }

  /** @internal As `HybiDriver.mayStartMessage`; false on a draft, which streams nothing. */
  override mayStartMessage(): boolean {
    return this.#draft === null && super.mayStartMessage();
  }

  /** The request is in: the draft it names, if any, takes over the protocol. */
  protected override requestArrived(request: HandshakeRequest): void {
    this.#takeDraft(request);
  }

  #takeDraft(request: HandshakeRequest): void {
    // Most requests are RFC 6455's: no URL or host is made for them.
    if (draftVersionFor(request) === null) return;
    const draft = draftProtocolFor(request, this.urlOf(request), this.options, new DraftServerDriver.#Host(this));
    if (draft === null) return;
    this.#draft = draft;
    draft.holdRest = this.inputPaused;
    // A header set before the request named the draft may be one the draft
    // writes itself: the caller's mistake, reported once parse() is done
    // (the draft leaves it out of its response).
    for (const [name] of this.#extraHeaders()) this.hub.call(() => draft.checkHeader(name));
  }

  /** The headers added with `setHeader()`; made only if there are any (most connections add none). */
  #extraHeaders(): ReadonlyArray<readonly [string, string]> {
    return this.outgoingHeaderLines === '' ? [] : this.outgoingHeaders.entries();
  }

  // --- the protocol hooks: the draft's once chosen, else RFC 6455's ---

  protected override registerExtension(extension: Extension): boolean {
    return this.#draft === null && super.registerExtension(extension);
  }

  protected override handshake(): boolean {
    return this.#draft === null ? super.handshake() : this.#draft.handshake(this.#extraHeaders());
  }

  protected override receive(bytes: Uint8Array): Uint8Array | void {
    return this.#draft === null ? super.receive(bytes) : this.#draft.receive(bytes);
  }

  protected override onInputPaused(): void {
    super.onInputPaused();
    if (this.#draft !== null) this.#draft.holdRest = true;
  }

  protected override onInputResumed(): void {
    super.onInputResumed();
    if (this.#draft !== null) this.#draft.holdRest = false;
  }

  protected override sendText(message: string | Uint8Array): boolean {
    return this.#draft === null ? super.sendText(message) : this.#draft.sendText(message);
  }

  protected override sendBinary(message: Uint8Array): boolean {
    return this.#draft === null && super.sendBinary(message);
  }

  protected override sendPreparedFrame(message: PreparedMessage): boolean {
    if (this.#draft === null) return super.sendPreparedFrame(message);
    return message.text !== null && this.#draft.sendText(message.text);
  }

  protected override sendPing(message: Uint8Array, callback: (() => void) | undefined): boolean {
    return this.#draft === null && super.sendPing(message, callback);
  }

  protected override sendPong(message: Uint8Array): boolean {
    return this.#draft === null && super.sendPong(message);
  }

  // close()'s code and reason are checked by RFC 6455's rule (checkClose)
  // on a draft too: neither draft sends them, but a call that throws
  // before the head must not be accepted once the head names a draft.

  protected override closeOpenConnection(code: number, reason: string): void {
    if (this.#draft === null) super.closeOpenConnection(code, reason);
    else this.#draft.closeOpenConnection(code, reason);
  }

  protected override sendFailure(error: ProtocolError, prior: ConnectionState): void {
    // Failing a draft connection sends nothing: the transport is simply ended.
    if (this.#draft === null) super.sendFailure(error, prior);
    else this.#draft.stop();
  }

  protected override onClosed(): void {
    super.onClosed();
    this.#draft?.stop();
  }

  // What the draft's part may do to this driver (DraftHost): one small
  // object per draft connection. Declared in the class body to reach the
  // driver's protected members.
  static readonly #Host = class implements DraftHost {
    readonly #driver: DraftServerDriver;

    constructor(driver: DraftServerDriver) {
      this.#driver = driver;
    }

    get state(): ConnectionState {
      return this.#driver.state;
    }

    write(bytes: Uint8Array): void {
      this.#driver.socket.write(bytes);
    }

    agree(protocol: string | null): void {
      this.#driver.agreedProtocol = protocol;
    }

    open(): void {
      this.#driver.openConnection();
    }

    message(text: string): void {
      this.#driver.hub.emit('message', { data: text, type: 'text' });
    }

    enterClosing(next: ClosingState): void {
      this.#driver.enterClosing(next);
    }

    fail(error: ProtocolError): void {
      this.#driver.failConnection(error);
    }

    finish(code: number, reason: string, wasClean: boolean): void {
      this.#driver.finish(code, reason, wasClean);
    }
  };
}
