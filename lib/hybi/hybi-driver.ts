/**
 * The RFC 6455 connection after the handshake, shared by the server and
 * client drivers: frames in and out, messages, ping/pong, and the closing
 * handshake (§5, §7).
 *
 * Closing, in brief: `close()` sends a close frame and waits in `closing`,
 * still reading messages, until the peer's close frame arrives. A close
 * frame from the peer is answered with one echoing its code, then the
 * connection is closed. A protocol error sends a close frame with the code
 * §7.4.1 prescribes and closes at once. No frame is ever sent after a close
 * frame.
 *
 * @module
 */
import { CloseCode, ProtocolError } from '../errors.js';
import { BaseDriver } from '../driver/base-driver.js';
import { CLOSING } from '../driver/connection-state.js';
import { encodeClosePayload, parseClosePayload } from '../frame/close-payload.js';
import { FrameWriter } from '../frame/frame-encoder.js';
import { FrameParser } from '../frame/frame-parser.js';
import { Opcode } from '../frame/opcodes.js';
import type { ResolvedOptions } from '../options.js';
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../driver/events.js';
import { MessageReader, type MessageSink } from './message-reader.js';

const EMPTY = new Uint8Array(0);

/** Ping payloads as map keys: one char per byte. */
function payloadKey(payload: Uint8Array): string {
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

/** Framing and closing for RFC 6455 drivers; see the module comment. */
export abstract class HybiDriver extends BaseDriver implements MessageSink {
  protected readonly parser: FrameParser;
  protected readonly writer: FrameWriter;
  readonly #reader: MessageReader;
  #closeSent = false;
  readonly #pingCallbacks = new Map<string, Array<() => void>>();
  #pendingPings = 0;

  constructor(role: 'server' | 'client', socket: Socket, options: ResolvedOptions, hub?: EventHub<DriverEventMap>) {
    super(socket, options, hub);
    this.#reader = new MessageReader(this, options.maxLength);
    this.parser = new FrameParser(this.#reader, {
      role,
      requireMasking: options.requireMasking,
      maxLength: options.maxLength,
    });
    // §5.3: a client masks every frame it sends; a server never does.
    this.writer = new FrameWriter((bytes) => this.socket.write(bytes), role === 'client', options.fragmentSize);
  }

  protected receive(bytes: Uint8Array): void {
    this.parser.push(bytes);
  }

  // --- MessageSink: what the reader assembled ---

  /** @internal */
  onMessage(_opcode: number, _rsv: number, data: string | Uint8Array): void {
    this.hub.emit('message', { data });
  }

  /** @internal */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.CLOSE) {
      this.#receivedClose(payload);
    } else if (opcode === Opcode.PING) {
      this.hub.emit('ping', { data: payload });
      if (this.options.autoPong && this.state.kind === 'open') this.#sendFrame(Opcode.PONG, payload);
    } else {
      this.hub.emit('pong', { data: payload });
      this.#runPingCallbacks(payload);
    }
  }

  /** @internal */
  onReadError(error: ProtocolError): void {
    this.failConnection(error);
  }

  // --- sending ---

  protected sendText(message: string): boolean {
    if (this.#closeSent) return false;
    this.writer.text(message);
    return true;
  }

  protected sendBinary(message: Uint8Array): boolean {
    if (this.#closeSent) return false;
    this.writer.message(Opcode.BINARY, 0, message);
    return true;
  }

  protected sendPing(message: Uint8Array, callback: (() => void) | undefined): boolean {
    if (this.#closeSent) return false;
    if (callback !== undefined) {
      if (this.#pendingPings >= this.options.maxPendingPings) return false;
      const key = payloadKey(message);
      const list = this.#pingCallbacks.get(key);
      if (list === undefined) this.#pingCallbacks.set(key, [callback]);
      else list.push(callback);
      this.#pendingPings++;
    }
    this.#sendFrame(Opcode.PING, message);
    return true;
  }

  protected sendPong(message: Uint8Array): boolean {
    return this.#sendFrame(Opcode.PONG, message);
  }

  protected checkClose(reason: string, code: number): void {
    // Throws a RangeError for a code that may not be sent or a long reason.
    encodeClosePayload(code, reason);
  }

  protected closeOpenConnection(reason: string, code: number): void {
    this.#sendClose(code, reason);
    this.state = CLOSING;
  }

  protected sendFailure(error: ProtocolError): void {
    this.parser.stop();
    if (this.state.kind === 'open') this.#sendClose(error.closeCode, truncateReason(error.message));
  }

  protected override onClosed(): void {
    this.parser.stop();
    this.#pingCallbacks.clear();
    this.#pendingPings = 0;
  }

  #sendFrame(opcode: number, payload: Uint8Array): boolean {
    if (this.#closeSent) return false;
    this.writer.frame(true, 0, opcode, payload);
    return true;
  }

  #sendClose(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.writer.frame(true, 0, Opcode.CLOSE, code === CloseCode.NO_STATUS ? EMPTY : encodeClosePayload(code, reason));
    this.#closeSent = true;
  }

  #receivedClose(payload: Uint8Array): void {
    const close = parseClosePayload(payload);
    if (close instanceof ProtocolError) {
      this.failConnection(close);
      return;
    }
    this.parser.stop();
    // §5.5.1: answer with a close frame, typically echoing the status code.
    if (this.state.kind === 'open') this.#sendClose(close.code, '');
    this.finish(close.code, close.reason, true);
  }

  #runPingCallbacks(payload: Uint8Array): void {
    if (this.#pendingPings === 0) return;
    const key = payloadKey(payload);
    const callbacks = this.#pingCallbacks.get(key);
    if (callbacks === undefined) return;
    // A pong may answer several pings with the same payload (§5.5.3).
    this.#pingCallbacks.delete(key);
    this.#pendingPings -= callbacks.length;
    for (const callback of callbacks) this.hub.call(callback);
  }
}

/** Cuts an error message to fit a close frame's 123-byte reason. */
function truncateReason(message: string): string {
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= 123) return message;
  // Error messages are ASCII; cut on a character boundary all the same.
  let end = 123;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
