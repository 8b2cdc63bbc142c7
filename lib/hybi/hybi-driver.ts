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
 * With an extension negotiated, data messages go through the extension
 * pipeline (lib/extensions/), which may finish later; control frames never
 * enter it. A close frame, ours or the answer to the peer's, waits until
 * the messages sent before it have left the pipeline and been written;
 * the `close` event waits until the messages received before the peer's
 * close frame have been delivered. With no extension negotiated, every
 * message is handled synchronously as it arrives, as before.
 *
 * @module
 */
import { CloseCode, ProtocolError } from '../errors.js';
import { BaseDriver, type SendCallback } from '../connection/base-driver.js';
import { PauseReason } from '../connection/input-gate.js';
import { encodeClosePayload, parseClosePayload } from '../frame/close-payload.js';
import { FrameWriter } from '../frame/frame-encoder.js';
import { FrameParser } from '../frame/frame-parser.js';
import { Opcode } from '../frame/opcodes.js';
import type { ResolvedOptions } from '../options.js';
import type { EventHub } from '../emitter.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { ExtensionStack, extensionFailure, type EncodedMessage } from '../extensions/extension-stack.js';
import type { PieceCodec } from '../extensions/piece-codec.js';
import { MessageReader, type MessageSink, type StreamedMessageSink } from './message-reader.js';
import { PendingPong } from './pending-pong.js';
import { OutgoingMessage, type PieceCallback, type PieceSink } from './outgoing-message.js';

/** A whole message waiting for a streamed one to end. */
interface WaitingMessage {
  readonly opcode: number;
  readonly data: string | Uint8Array;
  done: SendCallback | undefined;
}

const EMPTY = new Uint8Array(0);
// RFC 7692 §6: the per-message compressed bit, on a message's first frame.
const RSV1 = 0x40;
const NO_EXTENSIONS: readonly NegotiatedExtension[] = Object.freeze([]);
const textEncoder = new TextEncoder();

/** A close frame waiting for the extension pipeline to drain. */
interface HeldClose {
  readonly code: number;
  readonly reason: string;
}

/** Ping payloads as map keys: one char per byte. */
function payloadKey(payload: Uint8Array): string {
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

/** Framing and closing for RFC 6455 drivers; see the module comment. */
export abstract class HybiDriver extends BaseDriver {
  /**
   * Reads frames from the bytes after the handshake.
   *
   * @internal
   */
  protected readonly parser: FrameParser;
  /**
   * Writes frames to the socket, masked on the client.
   *
   * @internal
   */
  protected readonly writer: FrameWriter;
  // Made with the driver. Made on first use instead, an idle connection
  // held 0.45 KiB less, but the benchmark's passes on a fresh connection
  // ran 2-3 times slower (V8 deoptimized the hot path again and again,
  // "weak objects"); see bench/analysis.md.
  readonly #reader: MessageReader;
  #closeSent = false;
  // Made on the first ping sent with a callback: an idle connection holds none.
  #pingCallbacks: Map<string, Array<() => void>> | null = null;
  #pendingPings = 0;
  // Extensions added with addExtension(); #extensions is set only once the
  // handshake made one active, and is what switches on the pipeline.
  #extensionStack: ExtensionStack | null = null;
  #extensions: ExtensionStack | null = null;
  // Our close frame, held until outgoing messages have left the pipeline.
  #heldClose: HeldClose | null = null;
  // The peer's close, held until received messages have been delivered.
  #peerClose: HeldClose | null = null;
  // The pong owed while the transport is backed up (§5.5.3); made on first need.
  #pendingPong: PendingPong | null = null;
  // Send callbacks of messages in the extension pipeline, by their number
  // in send order; made on first need.
  #pipelineCallbacks: Map<number, SendCallback> | null = null;
  #pipelineSent = 0;
  #pipelineWritten = 0;
  // The message being sent in pieces, and whole messages waiting for its end.
  #outgoing: OutgoingMessage | null = null;
  #waiting: WaitingMessage[] | null = null;
  // The message sendText/sendBinary just queued behind the streamed one, for its callback.
  #justQueued: WaitingMessage | null = null;
  // The extension session that compresses piece by piece, when streaming
  // goes through it (docs/flow-control.md); what it holds to send, and the
  // type and text decoder of the streamed message being inflated.
  #codec: PieceCodec | null = null;
  #codecPending = 0;
  #streamedType: 'text' | 'binary' = 'binary';
  #inflateDecoder: TextDecoder | null = null;

  /**
   * Made through the concrete drivers, which the `Driver` factories create;
   * use those.
   *
   * @internal
   */
  constructor(role: 'server' | 'client', socket: Socket, options: ResolvedOptions, hub?: EventHub<DriverEventMap>) {
    super(socket, options, hub);
    const sink = new HybiDriver.#ReaderSink(this);
    const streaming = options.streamMessages;
    this.#reader = new MessageReader(sink, options.maxLength, options.maxStreamedMessageSize);
    if (streaming) this.#reader.streamed = sink;
    this.parser = new FrameParser(this.#reader, {
      role,
      requireMasking: options.requireMasking,
      // A streamed message's frames are bounded by its own limit (the reader checks which applies).
      maxLength: streaming ? Math.max(options.maxLength, options.maxStreamedMessageSize) : options.maxLength,
    });
    // §5.3: a client masks every frame it sends; a server never does.
    // Through this.socket, which sees the transport's backpressure.
    this.writer = new FrameWriter(this.socket, role === 'client', options.fragmentSize);
  }

  override get retainedBytes(): number {
    return super.retainedBytes + this.parser.retainedBytes + this.#reader.retainedBytes + (this.#extensions?.retainedBytes ?? 0);
  }

  protected receive(bytes: Uint8Array): Uint8Array | void {
    return this.parser.push(bytes);
  }

  protected override onInputPaused(): void {
    this.parser.holdRest = true;
  }

  protected override onInputResumed(): void {
    this.parser.holdRest = false;
  }

  protected override onTransportDrained(): void {
    const payload = this.#pendingPong?.take() ?? null;
    if (payload === null) return;
    this.sendFlow.heldBytes -= payload.length;
    if (this.state.kind === 'open') this.#sendFrame(Opcode.PONG, payload);
    this.resumeInput(PauseReason.PENDING_PONG);
  }

  /**
   * Starts a message sent in pieces: `write(piece)` sends each as a frame,
   * `end(piece?)` the last. Pings, pongs and close may go between pieces;
   * `text()` and `binary()` wait until the end. With an extension
   * negotiated, the pieces are gathered and the message goes through the
   * extensions whole at `end()`. Null if the connection is not open;
   * throws if a streamed message is already being sent.
   */
  startMessage(type: 'text' | 'binary'): OutgoingMessage | null {
    if (type !== 'text' && type !== 'binary') throw new TypeError("startMessage() takes 'text' or 'binary'");
    if (this.#outgoing !== null) throw new Error('a streamed message is already being sent: end() it first');
    if (this.state.kind !== 'open' || this.#closeSent) return null;
    const extensions = this.#extensions;
    const sink =
      extensions === null
        ? this.#pieceSink()
        : this.#codec !== null && extensions.outgoingIdle && this.#codecPending === 0
          ? this.#compressingSink()
          : this.#gatheringSink(type);
    const message = new OutgoingMessage(sink, type);
    this.#outgoing = message;
    return message;
  }

  /** Pieces straight to the wire, one frame each. */
  #pieceSink(): PieceSink {
    return {
      writePiece: (opcode, fin, payload, done) =>
        this.hub.run(() => {
          if (this.#closeSent || this.state.kind === 'closed') return false;
          this.writer.frame(fin, 0, opcode, payload);
          if (done !== undefined) super.settleWhenWritten(done);
          return true;
        }),
      admits: (size) => this.sendFlow.bufferedAmount === 0 || this.sendFlow.admits(size),
      released: (message) => this.hub.run(() => this.#releaseOutgoing(message)),
    };
  }

  /**
   * With extensions, which work on whole messages: pieces are gathered and
   * the message goes through the pipeline at the end (docs/flow-control.md).
   */
  #gatheringSink(type: 'text' | 'binary'): PieceSink {
    const pieces: Uint8Array[] = [];
    const callbacks: PieceCallback[] = [];
    return {
      writePiece: (_opcode, fin, payload, done) =>
        this.hub.run(() => {
          if (this.#closeSent || this.state.kind === 'closed') return false;
          // Copied: the caller may reuse its buffer once write() returns.
          pieces.push(payload.slice());
          if (done !== undefined) callbacks.push(done);
          if (!fin) return true;
          const whole = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
          let at = 0;
          for (const piece of pieces) {
            whole.set(piece, at);
            at += piece.length;
          }
          this.#justQueued = null;
          this.#sendThroughExtensions(type === 'text' ? Opcode.TEXT : Opcode.BINARY, whole);
          if (callbacks.length > 0) this.settleWhenWritten((error) => callbacks.forEach((callback) => callback(error)));
          return true;
        }),
      admits: (size) => this.sendFlow.bufferedAmount === 0 || this.sendFlow.admits(size),
      released: (message) => this.hub.run(() => this.#releaseOutgoing(message)),
    };
  }

  /**
   * Through the extension's piece codec: each piece compressed as it comes
   * and framed once compressed, RSV1 on the first frame only (RFC 7692 §6).
   * What waits in the compressor counts in `bufferedAmount`.
   */
  #compressingSink(): PieceSink {
    const codec = this.#codec!;
    return {
      writePiece: (opcode, fin, payload, done) =>
        this.hub.run(() => {
          if (this.#closeSent || this.state.kind === 'closed') return false;
          const first = opcode !== Opcode.CONTINUATION;
          // Copied: the compressor reads it later, and the caller may reuse its buffer.
          const piece = payload.slice();
          this.#codecPending++;
          this.sendFlow.heldBytes += piece.length;
          codec.compressPiece(piece, fin, (error, bytes) =>
            this.hub.run(() => {
              this.#codecPending--;
              this.sendFlow.heldBytes -= piece.length;
              if (this.state.kind === 'closed') {
                if (done !== undefined) failCallback(done);
                return;
              }
              if (error !== null || bytes === null) {
                if (done !== undefined) failCallback(done);
                this.failConnection(extensionFailure(error));
                return;
              }
              if (this.#closeSent) {
                if (done !== undefined) failCallback(done);
                return;
              }
              this.writer.frame(fin, first ? RSV1 : 0, opcode, bytes);
              if (done !== undefined) super.settleWhenWritten(done);
              this.#pipelineProgress();
            }),
          );
          return true;
        }),
      admits: (size) => this.sendFlow.bufferedAmount === 0 || this.sendFlow.admits(size),
      released: (message) => this.hub.run(() => this.#releaseOutgoing(message)),
    };
  }

  /**
   * A piece of a compressed message received: inflated through the codec,
   * the output delivered as `messagepiece` as it comes (text checked as
   * UTF-8 on the way, §8.1). Input waits while the piece inflates, and the
   * inflater stops while the application has paused delivery.
   */
  #inflatePiece(piece: Uint8Array, fin: boolean): void {
    const codec = this.#codec!;
    const text = this.#streamedType === 'text';
    if (text) this.#inflateDecoder ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    this.pauseInput(PauseReason.INFLATING);
    codec.decompressPiece(
      piece,
      fin,
      this.options.maxStreamedMessageSize,
      (bytes) => this.hub.run(() => this.#inflated(bytes, text)),
      (error) => this.hub.run(() => this.#inflatedPiece(error, fin, text)),
    );
  }

  /** Inflated bytes of a streamed message; false to stop the inflater (paused or over). */
  #inflated(bytes: Uint8Array, text: boolean): boolean {
    if (this.state.kind === 'closed') return false;
    if (text) {
      let decoded: string;
      try {
        decoded = this.#inflateDecoder!.decode(bytes, { stream: true });
      } catch {
        this.#inflateDecoder = null;
        this.failConnection(new ProtocolError('INVALID_UTF8', 'text message is not valid UTF-8', CloseCode.INVALID_DATA));
        return false;
      }
      if (decoded.length > 0) this.hub.emit('messagepiece', { data: decoded });
    } else if (bytes.length > 0) {
      this.hub.emit('messagepiece', { data: bytes });
    }
    return !this.inputGate.pausedBy(PauseReason.APPLICATION) && this.readyState !== 3;
  }

  /** A compressed piece is consumed: end the message after its last, then read on. */
  #inflatedPiece(error: ProtocolError | null, fin: boolean, text: boolean): void {
    if (this.state.kind === 'closed') return;
    if (error !== null) {
      this.failConnection(error);
      return;
    }
    if (fin) {
      if (text) {
        const decoder = this.#inflateDecoder!;
        this.#inflateDecoder = null;
        let rest: string;
        try {
          rest = decoder.decode();
        } catch {
          this.failConnection(new ProtocolError('INVALID_UTF8', 'text message ends inside a UTF-8 sequence', CloseCode.INVALID_DATA));
          return;
        }
        if (rest.length > 0) this.hub.emit('messagepiece', { data: rest });
      }
      this.hub.emit('messageend', {});
    }
    this.resumeInput(PauseReason.INFLATING);
  }

  protected override onApplicationResume(): void {
    this.#codec?.resumeOutput();
  }

  /** The streamed message ended: the whole messages that waited go, in order. */
  #releaseOutgoing(message: OutgoingMessage): void {
    if (this.#outgoing !== message) return;
    this.#outgoing = null;
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting === null) return;
    for (const item of waiting) {
      const sent = item.opcode === Opcode.TEXT ? this.sendText(item.data as string) : this.sendBinary(item.data as Uint8Array);
      if (item.done === undefined) continue;
      if (sent) this.settleWhenWritten(item.done);
      else failCallback(item.done);
    }
  }

  /** Queues a whole message behind the streamed one. */
  #wait(opcode: number, data: string | Uint8Array): boolean {
    const item: WaitingMessage = { opcode, data, done: undefined };
    (this.#waiting ??= []).push(item);
    this.#justQueued = item;
    return true;
  }

  protected override settleWhenWritten(done: SendCallback): void {
    const queued = this.#justQueued;
    if (queued !== null) {
      // The message waits behind a streamed one: settled when it goes.
      this.#justQueued = null;
      queued.done = done;
      return;
    }
    if (this.#extensions === null) {
      super.settleWhenWritten(done);
      return;
    }
    // The message just sent is number #pipelineSent - 1 in the pipeline.
    const index = this.#pipelineSent - 1;
    if (this.#pipelineWritten > index) super.settleWhenWritten(done);
    else (this.#pipelineCallbacks ??= new Map()).set(index, done);
  }

  override get extensions(): readonly NegotiatedExtension[] {
    return this.#extensions?.negotiated ?? NO_EXTENSIONS;
  }

  protected override registerExtension(extension: Extension): boolean {
    (this.#extensionStack ??= new ExtensionStack(this.options.maxLength)).add(extension);
    return true;
  }

  // --- negotiation, for the server and client drivers ---

  /**
   * Server: accepts what it supports of the client's offer; returns the
   * response's Sec-WebSocket-Extensions value, or null. Throws a
   * SyntaxError on a malformed offer.
   */
  protected respondToExtensions(offer: string | undefined): string | null {
    const stack = this.#extensionStack;
    if (stack === null) return null;
    const header = stack.respond(offer);
    this.#useExtensions(stack);
    return header;
  }

  /** Client: the Sec-WebSocket-Extensions offer, or null. */
  protected offerExtensions(): string | null {
    return this.#extensionStack?.offer() ?? null;
  }

  /**
   * Client: activates what the server's response accepted, or returns why
   * the response is unacceptable (RFC 6455 §4.1: an extension that was not
   * offered fails the connection).
   */
  protected acceptExtensions(header: string | undefined): ProtocolError | null {
    const stack = this.#extensionStack;
    if (stack === null) {
      if (header === undefined || header.trim() === '') return null;
      return new ProtocolError(
        'HANDSHAKE_BAD_EXTENSION',
        `Sec-WebSocket-Extensions: server accepted ${JSON.stringify(header)}, but no extension was offered`,
        CloseCode.EXTENSION_REQUIRED,
      );
    }
    const error = stack.accept(header);
    if (error === null) this.#useExtensions(stack);
    return error;
  }

  /**
   * Client: fails the handshake over extensions. The server already
   * considers the connection open, so it is told why with a close frame
   * (1010, §7.4.1) before the connection ends.
   */
  protected failExtensionNegotiation(error: ProtocolError): void {
    this.parser.stop();
    this.#sendClose(error.closeCode, truncateReason(error.message));
    this.failConnection(error);
  }

  #useExtensions(stack: ExtensionStack): void {
    if (!stack.active) return;
    this.#extensions = stack;
    // §5.2: RSV bits are allowed where an active extension claims them.
    this.parser.allowedRsv = stack.allowedRsv;
    // Text is validated after the extensions have decoded it.
    this.#reader.textAsBytes = true;
    // Streamed messages go through the extension piece by piece only if it
    // is the only one and can (wsdriver's own permessage-deflate); else whole.
    const codec = stack.pieceCodec;
    if (codec !== null) {
      this.#codec = codec;
      if (this.options.streamMessages) this.#reader.streamCompressed = true;
    }
  }

  // What the message reader reports to: one small object per connection
  // rather than three closures. Declared in the class body to reach its
  // private methods.
  static readonly #ReaderSink = class implements MessageSink, StreamedMessageSink {
    readonly #driver: HybiDriver;

    constructor(driver: HybiDriver) {
      this.#driver = driver;
    }

    onMessage(opcode: number, rsv: number, data: string | Uint8Array): void {
      this.#driver.#onMessage(opcode, rsv, data);
    }

    onControl(opcode: number, payload: Uint8Array): void {
      this.#driver.#onControl(opcode, payload);
    }

    onReadError(error: ProtocolError): void {
      this.#driver.failConnection(error);
    }

    onMessageStart(type: 'text' | 'binary'): void {
      this.#driver.#streamedType = type;
      this.#driver.hub.emit('messagestart', { type });
    }

    onCompressedPiece(piece: Uint8Array, fin: boolean): void {
      this.#driver.#inflatePiece(piece, fin);
    }

    onMessagePiece(data: string | Uint8Array): void {
      this.#driver.hub.emit('messagepiece', { data });
    }

    onMessageEnd(): void {
      this.#driver.hub.emit('messageend', {});
    }
  };

  // --- what the reader assembled ---

  #onMessage(opcode: number, rsv: number, data: string | Uint8Array): void {
    const extensions = this.#extensions;
    if (extensions === null) {
      this.hub.emit('message', { data });
      return;
    }
    // With extensions, the reader hands over every message as bytes.
    extensions.incoming(opcode, rsv, data as Uint8Array, (result) => this.hub.run(() => this.#decoded(result)));
  }

  #onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.CLOSE) {
      this.#receivedClose(payload);
    } else if (opcode === Opcode.PING) {
      this.hub.emit('ping', { data: payload });
      if (this.options.autoPong && this.state.kind === 'open') this.#answerPing(payload);
    } else {
      this.deadlines?.pongReceived();
      this.hub.emit('pong', { data: payload });
      this.#runPingCallbacks(payload);
    }
  }

  // --- sending ---

  protected sendText(message: string): boolean {
    if (this.#closeSent) return false;
    this.#justQueued = null;
    if (this.#outgoing !== null) return this.#wait(Opcode.TEXT, message);
    if (this.#extensions !== null) return this.#sendThroughExtensions(Opcode.TEXT, textEncoder.encode(message));
    this.writer.text(message);
    return true;
  }

  protected sendBinary(message: Uint8Array): boolean {
    if (this.#closeSent) return false;
    this.#justQueued = null;
    // Copied: the caller may reuse its buffer before the streamed message ends.
    if (this.#outgoing !== null) return this.#wait(Opcode.BINARY, message.slice());
    // Copied: the pipeline may read it after binary() returns, and the
    // caller is free to reuse its buffer by then.
    if (this.#extensions !== null) return this.#sendThroughExtensions(Opcode.BINARY, message.slice());
    this.writer.message(Opcode.BINARY, 0, message);
    return true;
  }

  protected sendPing(message: Uint8Array, callback: (() => void) | undefined): boolean {
    if (this.#closeSent) return false;
    if (callback !== undefined) {
      if (this.#pendingPings >= this.options.maxPendingPings) return false;
      const key = payloadKey(message);
      const callbacks = (this.#pingCallbacks ??= new Map());
      const list = callbacks.get(key);
      if (list === undefined) callbacks.set(key, [callback]);
      else list.push(callback);
      this.#pendingPings++;
    }
    this.#sendFrame(Opcode.PING, message);
    return true;
  }

  protected sendPong(message: Uint8Array): boolean {
    return this.#sendFrame(Opcode.PONG, message);
  }

  protected checkClose(code: number, reason: string): void {
    // Throws a RangeError for a code that may not be sent or a long reason.
    encodeClosePayload(code, reason);
  }

  protected closeOpenConnection(code: number, reason: string): void {
    // Messages already accepted by text()/binary() go out first (§5.5.1:
    // nothing may follow the close frame, so they could not go after it).
    if (this.#extensions !== null && (!this.#extensions.outgoingIdle || this.#codecPending > 0)) this.#heldClose = { code, reason };
    else this.#sendClose(code, reason);
    this.enterClosing();
  }

  protected sendFailure(error: ProtocolError): void {
    this.parser.stop();
    // In `closing` a close frame may still be held for the pipeline: a
    // failure sends its own at once instead (#sendClose sends one at most).
    if (this.state.kind === 'open' || this.state.kind === 'closing') {
      this.#sendClose(error.closeCode, truncateReason(error.message));
    }
  }

  protected override onClosed(): void {
    this.parser.stop();
    this.#pingCallbacks = null;
    this.#pendingPings = 0;
    this.#heldClose = null;
    this.#peerClose = null;
    this.#pendingPong = null;
    this.sendFlow.heldBytes = 0;
    this.#outgoing?.stop();
    this.#outgoing = null;
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting !== null) for (const item of waiting) if (item.done !== undefined) failCallback(item.done);
    const callbacks = this.#pipelineCallbacks;
    this.#pipelineCallbacks = null;
    if (callbacks !== null) {
      const error = new Error('the connection closed before the message was sent');
      for (const done of callbacks.values()) queueMicrotask(() => done(error));
    }
    this.#extensionStack?.close();
  }

  // --- the extension pipeline ---

  #sendThroughExtensions(opcode: number, data: Uint8Array): boolean {
    this.#pipelineSent++;
    this.#extensions!.outgoing(opcode, data, (result) => this.hub.run(() => this.#encoded(result)));
    return true;
  }

  /** The next message out of the pipeline was written (or dropped): settle its callback. */
  #settleNextFromPipeline(error: Error | undefined): void {
    const index = this.#pipelineWritten++;
    const done = this.#pipelineCallbacks?.get(index);
    if (done === undefined) return;
    this.#pipelineCallbacks!.delete(index);
    queueMicrotask(() => done(error));
  }

  /** A received message out of the pipeline, in wire order. */
  #decoded(result: string | Uint8Array | ProtocolError): void {
    if (this.state.kind === 'closed') return;
    if (result instanceof ProtocolError) {
      this.failConnection(result);
      return;
    }
    this.hub.emit('message', { data: result });
    this.#pipelineProgress();
  }

  /** A message to send out of the pipeline, in send order. */
  #encoded(result: EncodedMessage | ProtocolError): void {
    if (this.state.kind === 'closed' || this.#closeSent) {
      this.#settleNextFromPipeline(new Error('the connection closed before the message was sent'));
      return;
    }
    if (result instanceof ProtocolError) {
      this.#settleNextFromPipeline(result);
      this.failConnection(result);
      return;
    }
    this.writer.message(result.opcode, result.rsv, result.data);
    this.#settleNextFromPipeline(undefined);
    this.#pipelineProgress();
  }

  /** Sends a held close frame, or ends a held close, once the pipeline allows. */
  #pipelineProgress(): void {
    const extensions = this.#extensions!;
    const held = this.#heldClose;
    if (held !== null && extensions.outgoingIdle && this.#codecPending === 0) {
      this.#heldClose = null;
      this.#sendClose(held.code, held.reason);
    }
    const peer = this.#peerClose;
    if (peer !== null && extensions.incomingIdle && extensions.outgoingIdle && this.state.kind !== 'closed') {
      this.#peerClose = null;
      this.#sendClose(peer.code, '');
      this.finish(peer.code, peer.reason, true);
    }
  }

  /**
   * Answers a ping at once, or, while the transport is backed up, keeps
   * one pong for the latest ping and stops reading until it drains.
   */
  #answerPing(payload: Uint8Array): void {
    if (!this.sendFlow.backedUp) {
      this.#pendingPong?.answeredAtOnce();
      this.#sendFrame(Opcode.PONG, payload);
      return;
    }
    const pending = (this.#pendingPong ??= new PendingPong());
    this.sendFlow.heldBytes -= pending.size;
    if (!pending.defer(payload)) {
      pending.take();
      this.failConnection(new ProtocolError('PING_FLOOD', 'too many pings while our pongs could not be sent', CloseCode.POLICY_VIOLATION));
      return;
    }
    this.sendFlow.heldBytes += pending.size;
    this.sendFlow.wait();
    this.pauseInput(PauseReason.PENDING_PONG);
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
    const extensions = this.#extensions;
    if (extensions !== null && !(extensions.incomingIdle && extensions.outgoingIdle)) {
      // Messages before this close frame are still in the pipeline: deliver
      // and send them first (§5.5.1 lets the answer wait for the current message).
      this.#peerClose = close;
      this.enterClosing();
      return;
    }
    // §5.5.1: answer with a close frame, typically echoing the status code.
    if (this.state.kind === 'open') this.#sendClose(close.code, '');
    this.finish(close.code, close.reason, true);
  }

  #runPingCallbacks(payload: Uint8Array): void {
    if (this.#pendingPings === 0 || this.#pingCallbacks === null) return;
    const key = payloadKey(payload);
    const callbacks = this.#pingCallbacks.get(key);
    if (callbacks === undefined) return;
    // A pong may answer several pings with the same payload (§5.5.3).
    this.#pingCallbacks.delete(key);
    this.#pendingPings -= callbacks.length;
    for (const callback of callbacks) this.hub.call(callback);
  }
}

/** Tells a callback its message will not be sent. */
function failCallback(done: SendCallback): void {
  queueMicrotask(() => done(new Error('the connection closed before the message was sent')));
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
