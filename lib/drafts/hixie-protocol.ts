/**
 * What hixie-75 and hixie-76 share, as the protocol part of a server
 * driver (see `DraftProtocol` in lib/connection/server-side.ts): the
 * request checks, the response head, reading frames and sending text.
 * The driver keeps everything else (state, queue, listeners, deadlines,
 * flow control, `reject()`).
 *
 * The drafts have text messages only: the driver's `binary()`, `ping()`
 * and `pong()` return false, as in websocket-driver. Nothing is masked.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';
import type { DraftHost, DraftProtocol } from '../connection/server-side.js';
import type { HeaderFields } from '../http/head-parser.js';
import type { HandshakeRequest } from '../http/request.js';
import { encodeHead, errorResponse } from '../http/serialize.js';
import { selectSubprotocol } from '../handshake/server-handshake.js';
import type { ResolvedOptions } from '../options.js';
import { HixieFrameParser, type HixieFrameSink } from './hixie-frame-parser.js';
import { checkDraftRequest, DRAFT_MANAGED_HEADERS, draftResponseHead, type HixieVersion } from './hixie-handshake.js';
import { utf8Encoder } from '../bytes.js';

/** A text frame: 0x00, the UTF-8 bytes, 0xFF. */
export function encodeTextFrame(message: string): Uint8Array {
  const payload = utf8Encoder.encode(message);
  const frame = new Uint8Array(payload.length + 2);
  frame[0] = 0x00;
  frame.set(payload, 1);
  frame[payload.length + 1] = 0xff;
  return frame;
}

/**
 * The part both drafts share; see the module comment. It is also what its
 * frame parser reports to: no closures per connection.
 */
export abstract class HixieProtocol implements DraftProtocol, HixieFrameSink {
  abstract readonly version: HixieVersion;
  /**
   * The driver this part serves.
   *
   * @internal
   */
  protected readonly host: DraftHost;
  /**
   * The request's headers by lower-case name.
   *
   * @internal
   */
  protected readonly headers: HeaderFields;
  /**
   * Reads the client's frames after the handshake.
   *
   * @internal
   */
  protected readonly parser: HixieFrameParser;
  readonly #request: HandshakeRequest;
  readonly #url: string;
  readonly #protocols: readonly string[];

  /**
   * Made by {@link draftProtocolFor} once a request names a draft.
   *
   * @internal
   */
  constructor(request: HandshakeRequest, url: string, options: ResolvedOptions, host: DraftHost, closingFrame: boolean) {
    this.host = host;
    this.#request = request;
    this.headers = request.headers;
    this.#url = url;
    this.#protocols = options.protocols;
    this.parser = new HixieFrameParser(this, { maxLength: options.maxLength, closingFrame });
  }

  /** A text message arrived. */
  onText(text: string): void {
    this.host.message(text);
  }

  /** The client broke the framing rules or a limit. */
  onFrameError(error: ProtocolError): void {
    this.host.fail(error);
  }

  get retainedBytes(): number {
    return this.parser.retainedBytes;
  }

  /**
   * Besides the headers every driver refuses, the draft's own Origin,
   * Location and Protocol headers are refused: the driver writes them.
   */
  checkHeader(name: string): void {
    if (typeof name === 'string' && DRAFT_MANAGED_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`header ${name} is set by the driver`);
    }
  }

  /**
   * Checks the request, writes the 101 head, then lets the draft finish
   * the handshake; a bad request is answered with 400 and fails.
   */
  handshake(extraHeaders: ReadonlyArray<readonly [string, string]>): boolean {
    const error = checkDraftRequest(this.#request, this.#url) ?? this.checkDraftSpecifics();
    if (error !== null) {
      this.host.write(errorResponse(400, error.message));
      this.host.fail(error);
      return false;
    }
    const protocolHeader = this.version === 'hixie-76' ? 'sec-websocket-protocol' : 'websocket-protocol';
    const protocol = selectSubprotocol(this.headers[protocolHeader], this.#protocols);
    this.host.agree(protocol);
    let lines = '';
    // A header set before the request named the draft may be one the draft
    // writes itself: that was reported then, and is left out here.
    for (const [name, value] of extraHeaders) if (!DRAFT_MANAGED_HEADERS.has(name.toLowerCase())) lines += `${name}: ${value}\r\n`;
    const head = draftResponseHead(this.version, { origin: this.headers['origin']!, location: this.#url, protocol, extraHeaders: lines });
    this.host.write(encodeHead(head));
    this.afterResponseHead();
    return true;
  }

  /** Checks only one draft makes; null if none fails. */
  protected abstract checkDraftSpecifics(): ProtocolError | null;
  /** The response head is written: open, or wait for the rest of the handshake. */
  protected abstract afterResponseHead(): void;
  /** draft-76: the client sent 0xFF 0x00. */
  abstract onClosingFrame(): void;
  abstract closeOpenConnection(code: number, reason: string): void;

  get holdRest(): boolean {
    return this.parser.holdRest;
  }

  set holdRest(hold: boolean) {
    this.parser.holdRest = hold;
  }

  receive(bytes: Uint8Array): Uint8Array | void {
    return this.parser.push(bytes);
  }

  sendText(message: string | Uint8Array): boolean {
    // Bytes (checked UTF-8) are rare here: decoded, then framed as a string is.
    this.host.write(encodeTextFrame(typeof message === 'string' ? message : new TextDecoder().decode(message)));
    return true;
  }

  /** Failing or closing a draft connection sends nothing: the parser just stops. */
  stop(): void {
    this.parser.stop();
  }
}
