/**
 * What the hixie-75 and hixie-76 server drivers share: the request checks,
 * the response head, reading frames, sending text, and `reject()`.
 *
 * The drafts have text messages only: `binary()`, `ping()` and `pong()`
 * return false, as in websocket-driver. Nothing is masked.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';
import type { EventHub } from '../emitter.js';
import { BaseDriver } from '../connection/base-driver.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { ServerSide } from '../connection/server-side.js';
import type { HeaderFields } from '../http/head-parser.js';
import { rackEnvFor, websocketUrlFor, type HandshakeRequest, type RackEnv } from '../http/request.js';
import { encodeHead, errorResponse } from '../http/serialize.js';
import { selectSubprotocol } from '../handshake/server-handshake.js';
import type { ResolvedOptions } from '../options.js';
import { HixieFrameParser, type HixieFrameSink } from './hixie-frame-parser.js';
import { checkDraftRequest, DRAFT_MANAGED_HEADERS, draftResponseHead, type HixieVersion } from './hixie-handshake.js';

const encoder = new TextEncoder();

/** A text frame: 0x00, the UTF-8 bytes, 0xFF. */
export function encodeTextFrame(message: string): Uint8Array {
  const payload = encoder.encode(message);
  const frame = new Uint8Array(payload.length + 2);
  frame[0] = 0x00;
  frame.set(payload, 1);
  frame[payload.length + 1] = 0xff;
  return frame;
}

/** Shared part of the two draft server drivers; see the module comment. */
export abstract class HixieServerDriver extends BaseDriver implements ServerSide {
  abstract override readonly version: HixieVersion;
  readonly role = 'server';
  /** The request as a Rack-style env. */
  readonly env: RackEnv;
  /** The ws: or wss: URL the request was made to; sent back as the Location. */
  readonly url: string;
  /** The request's headers by lower-case name. */
  readonly headers: HeaderFields;
  /**
   * The handshake request, as the drivers read it.
   *
   * @internal
   */
  protected readonly request: HandshakeRequest;
  /**
   * Reads the client's frames after the handshake.
   *
   * @internal
   */
  protected readonly parser: HixieFrameParser;

  /**
   * Made through the two draft subclasses; see {@link Hixie75ServerDriver}.
   *
   * @internal
   */
  constructor(
    request: HandshakeRequest,
    socket: Socket,
    options: ResolvedOptions,
    hub: EventHub<DriverEventMap> | undefined,
    closingFrame: boolean,
    env?: RackEnv,
  ) {
    super(socket, options, hub);
    this.request = request;
    this.headers = request.headers;
    this.env = env ?? rackEnvFor(request);
    this.url = socket.url !== undefined ? String(socket.url) : websocketUrlFor(request);
    const sink: HixieFrameSink = {
      onText: (text) => this.hub.emit('message', { data: text, type: 'text' }),
      onClosingFrame: () => this.onClosingFrame(),
      onFrameError: (error) => this.failConnection(error),
    };
    this.parser = new HixieFrameParser(sink, { maxLength: options.maxLength, closingFrame });
  }

  /** A server that has not answered by the handshake deadline answers 408. */
  protected override get answersHttp(): boolean {
    return true;
  }


  /**
   * Adds a header to the 101 response. Call before `start()`. Besides the
   * headers every driver refuses, the draft's own Origin, Location and
   * Protocol headers are refused: they are written by the driver.
   */
  override setHeader(name: string, value: string | number): void {
    if (typeof name === 'string' && DRAFT_MANAGED_HEADERS.has(name.toLowerCase())) {
      throw new TypeError(`header ${name} is set by the driver`);
    }
    super.setHeader(name, value);
  }

  /** Bytes of input held: input before `start()` and a text frame not yet ended. */
  override get retainedBytes(): number {
    return super.retainedBytes + this.parser.retainedBytes;
  }

  /** The drafts have no binary messages: always false. */
  override binary(_message?: Uint8Array | ArrayBuffer | ArrayBufferView): boolean {
    return false;
  }

  /** The drafts have no ping frames: always false. */
  override ping(_message?: string | Uint8Array, _callback?: () => void): boolean {
    return false;
  }

  /** The drafts have no pong frames: always false. */
  override pong(_message?: string | Uint8Array): boolean {
    return false;
  }

  /**
   * Refuses the request instead of accepting it: writes a plain-text HTTP
   * response (400 by default) and ends the driver; `close` fires with 1006
   * since no WebSocket connection was made. Call instead of `start()`.
   */
  reject(status = 400, message = 'Bad Request'): boolean {
    return this.refuseHandshake(status, message);
  }

  /**
   * Checks the request, writes the 101 head, then lets the draft finish
   * the handshake; a bad request is answered with 400 and fails.
   */
  protected handshake(): boolean {
    const error = checkDraftRequest(this.request, this.url) ?? this.checkDraftSpecifics();
    if (error !== null) {
      this.socket.write(errorResponse(400, error.message));
      this.failConnection(error);
      return false;
    }
    const protocolHeader = this.version === 'hixie-76' ? 'sec-websocket-protocol' : 'websocket-protocol';
    this.agreedProtocol = selectSubprotocol(this.headers[protocolHeader], this.options.protocols);
    const head = draftResponseHead(this.version, {
      origin: this.headers['origin']!,
      location: this.url,
      protocol: this.protocol,
      extraHeaders: this.outgoingHeaders.serialize(),
    });
    this.socket.write(encodeHead(head));
    this.afterResponseHead();
    return true;
  }

  /** Checks only one draft makes; null if none fails. */
  protected abstract checkDraftSpecifics(): ProtocolError | null;
  /** The response head is written: open, or wait for the rest of the handshake. */
  protected abstract afterResponseHead(): void;
  /** draft-76: the client sent 0xFF 0x00. */
  protected abstract onClosingFrame(): void;

  protected receive(bytes: Uint8Array): void {
    this.parser.push(bytes);
  }

  protected sendText(message: string | Uint8Array): boolean {
    // Bytes (checked UTF-8) are rare here: decoded, then framed as a string is.
    this.socket.write(encodeTextFrame(typeof message === 'string' ? message : new TextDecoder().decode(message)));
    return true;
  }

  protected sendBinary(): boolean {
    return false;
  }

  protected sendPing(): boolean {
    return false;
  }

  protected sendPong(): boolean {
    return false;
  }

  /**
   * No close code or reason goes on the wire in either draft; they are
   * only reported in this side's `close` event, so any integer and any
   * string are accepted.
   */
  protected checkClose(code: number): void {
    if (!Number.isInteger(code)) throw new TypeError('close() code must be an integer');
  }

  /** Failing a draft connection sends nothing: the transport is simply ended. */
  protected sendFailure(): void {
    this.parser.stop();
  }

  protected override onClosed(): void {
    this.parser.stop();
  }
}
