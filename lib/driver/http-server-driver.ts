/**
 * `Driver.server`: an RFC 6455 server driver that reads the HTTP request
 * itself from the bytes given to `parse()`, for a bare TCP (or TLS) server.
 *
 * Reading the request head is the first stage of the connection, before
 * the handshake: the driver is already the one that will speak the
 * protocol, so listeners, headers, extensions, the queue before open,
 * pauses and the handshake deadline (a head not complete in time is
 * answered 408) are simply its own. Once the head is in, `connect` fires
 * with `env`, `url` and `headers` set, and the application calls `start()`
 * to accept or `reject()` to refuse. Bytes that came with the head are
 * read once the `connect` listeners have run.
 *
 * With `allowDrafts`, `Driver.server` makes a {@link DraftServerDriver},
 * this driver with a hixie draft's protocol part taken on once the head
 * names a draft.
 *
 * @module
 */
import { RequestHeadParser, type HeaderFields } from '../http/head-parser.js';
import { requestFromHead, type HandshakeRequest, type RackEnv } from '../http/request.js';
import type { ResolvedOptions } from '../options.js';
import { PauseReason } from '../connection/input-gate.js';
import { ReadyState } from '../connection/connection-state.js';
import type { Socket } from '../events.js';
import { HybiServerBase } from './hybi-server-driver.js';

/** RFC 6455 server driver that parses the HTTP request itself; see the module comment. */
export class HybiHttpServerDriver extends HybiServerBase<HandshakeRequest | null> {
  // The request head as it arrives; null once it is in (or the driver closed).
  private headParser: RequestHeadParser | null;
  // Input after the request head, while `connect` listeners run: read once
  // they return (see readHead()).
  private afterHead: Uint8Array[] | null = null;

  /**
   * Made by `Driver.server`, which checks the options; use that. Given the
   * `request` (`Driver.rack`'s draft driver), it has no head to read.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions, request: HandshakeRequest | null = null) {
    super(request, socket, options);
    this.headParser = request === null ? new RequestHeadParser(options) : null;
  }

  /** The request as a Rack-style env; null until `connect`. */
  get env(): RackEnv | null {
    return this.request === null ? null : this.envOf(this.request);
  }

  /** The URL of the request; null until `connect`. */
  get url(): string | null {
    return this.request === null ? null : this.urlOf(this.request);
  }

  /** The request's headers by lower-case name; null until `connect`. */
  get headers(): HeaderFields | null {
    return this.request?.headers ?? null;
  }

  /** Bytes of received input held: a partial request head, then as {@link BaseDriver.retainedBytes}. */
  override get retainedBytes(): number {
    return super.retainedBytes + (this.headParser?.retainedBytes ?? 0);
  }

  /** Feeds received bytes: first the request head, then frames. */
  override parse(bytes: Uint8Array): void {
    if (this.headParser !== null) this.hub.run(() => this.readHead(bytes));
    else if (this.afterHead !== null) this.afterHead.push(bytes);
    else super.parse(bytes);
  }

  /** Accepts the request: sends the handshake response. False before `connect`. */
  override start(): boolean {
    return this.request !== null && super.start();
  }

  /** Refuses the request with a plain-text HTTP response (400 by default). False before `connect`. */
  override reject(status?: number, message?: string): boolean {
    return this.request !== null && super.reject(status, message);
  }

  /** As {@link BaseDriver.resume}; before the request arrived, the input held is read as the head. */
  override resume(): void {
    if (this.headParser === null) {
      super.resume();
      return;
    }
    this.hub.run(() => {
      if (!this.inputGate.resume(PauseReason.APPLICATION)) return;
      this.onInputResumed();
      const held = this.inputGate.take();
      if (held !== null) this.parse(held);
      if (!this.isPaused && this.readyState !== ReadyState.CLOSED) this.hub.emit('resume', {});
    });
  }

  protected override onClosed(): void {
    super.onClosed();
    this.headParser = null;
  }

  /**
   * Hook: the request head is in, `connect` is about to fire.
   *
   * @internal
   */
  protected requestArrived(_request: HandshakeRequest): void {}

  private readHead(bytes: Uint8Array): void {
    const head = this.headParser;
    if (head === null || this.state.kind === 'closed') return;
    const result = this.readRequestHead(head, bytes);
    if (result === null) return;
    this.headParser = null;
    const request = requestFromHead(result.head);
    this.request = request;
    this.requestArrived(request);
    // Bytes that came with the head are read once the `connect` listeners
    // have had their chance to call start(): then they are frames, not
    // input held before start() (which maxLength bounds). Input a
    // listener passes to parse() meanwhile queues behind them.
    const afterHead: Uint8Array[] = result.rest.length > 0 ? [result.rest] : [];
    this.afterHead = afterHead;
    try {
      this.hub.emit('connect', {});
    } finally {
      this.afterHead = null;
    }
    for (const chunk of afterHead) super.parse(chunk);
  }
}
