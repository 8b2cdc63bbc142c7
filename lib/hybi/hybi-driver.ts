/**
 * The RFC 6455 connection after the handshake, shared by the server and
 * client drivers: frames in and out, messages, ping/pong, and the closing
 * handshake (§5, §7).
 *
 * Closing, in brief: `close()` sends a close frame and waits in `closing`
 * (by us), still reading messages, until the peer's close frame arrives. A
 * close frame from the peer is answered with one echoing its code, then the
 * connection is closed. A protocol error sends a close frame with the code
 * §7.4.1 prescribes and closes at once. No frame is ever sent after a close
 * frame. Which of these is under way, and what is held, is the state itself
 * (`ClosingState`, lib/connection/connection-state.ts); each move between
 * states is one method below.
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
import { copyBytes, toBytes } from '../bytes.js';
import { Close, ProtocolError, protocolError } from '../errors.js';
import { BaseDriver, CLOSED_BEFORE_SENT, failSend, type SendCallback } from '../connection/base-driver.js';
import type { CloseFrame, ConnectionState } from '../connection/connection-state.js';
import { PauseReason } from '../connection/input-gate.js';
import type { SendFlow } from '../connection/send-flow.js';
import type { EventHub } from '../emitter.js';
import { selectSubprotocol } from '../handshake/server-handshake.js';
import { encodeClosePayload, parseClosePayload } from '../frame/close-payload.js';
import { FrameWriter } from '../frame/frame-encoder.js';
import type { PreparedMessage } from '../frame/prepared-message.js';
import { FrameParser, type FrameRules } from '../frame/frame-parser.js';
import { Opcode } from '../frame/opcodes.js';
import { TextPieces } from '../frame/text-pieces.js';
import { markDeliveredText } from '../frame/utf8-validator.js';
import type { ResolvedOptions } from '../options.js';
import type { DriverEventMap, Socket } from '../events.js';
import type { Extension, NegotiatedExtension } from '../extensions/extension.js';
import { ExtensionStack, type EncodedMessage } from '../extensions/extension-stack.js';
import type { PieceCodec } from '../extensions/piece-codec.js';
import { MessageReader, type MessageSink, type StreamedMessageSink } from './message-reader.js';
import { PendingPong } from './pending-pong.js';
import type { StreamedOut } from './outgoing-message.js';

/** A whole message waiting for a streamed one to end. @internal */
export interface WaitingMessage {
  readonly opcode: number;
  readonly data: string | Uint8Array;
  done: SendCallback | undefined;
}

const EMPTY = new Uint8Array(0);

// The last rules made and the options they came from: a server's connections share one object.
let lastRules: FrameRules | undefined;
let lastOptions: ResolvedOptions | undefined;

/** The frame parser's rules for `role` under `options` (resolved options are frozen, so one per pair is enough). */
function frameRulesFor(role: 'server' | 'client', options: ResolvedOptions): FrameRules {
  if (lastOptions === options && lastRules!.role === role) return lastRules!;
  lastOptions = options;
  return (lastRules = {
    role,
    requireMasking: options.requireMasking,
    unmaskedCloseCode: options.compat?.unmaskedFrameCloseCode ?? Close.PROTOCOL_ERROR,
    // A streamed message's frames are bounded by its own limit (the reader checks which applies).
    maxLength: options.streamMessages ? Math.max(options.maxLength, options.maxStreamedMessageSize) : options.maxLength,
  });
}

/** Ping payloads as map keys: one char per byte. */
function payloadKey(payload: Uint8Array): string {
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

/**
 * What a message sent in pieces needs inside an RFC 6455 driver, lent by
 * {@link HybiDriver}'s static block to `startMessage()`
 * (lib/hybi/outgoing-message.ts): the code for pieces lives in that
 * module, so a bundle that never streams a message out leaves it out,
 * and these members stay private to the driver instead of public on every
 * driver's type.
 *
 * @internal
 */
export interface PieceAccess {
  /** The flow-control and streaming state, made now if it was not. */
  flow(driver: HybiDriver): FlowState;
  /** The same, or null if it was never needed. */
  flowState(driver: HybiDriver): FlowState | null;
  /** The negotiated extensions, if any is active. */
  extensions(driver: HybiDriver): ExtensionStack | null;
  /** The extension session that compresses piece by piece, if any. */
  codec(driver: HybiDriver): PieceCodec | null;
  state(driver: HybiDriver): ConnectionState['kind'];
  // The driver's parts, which stay for its life (the writer made now if it was not).
  hub(driver: HybiDriver): EventHub<DriverEventMap>;
  sendFlow(driver: HybiDriver): SendFlow;
  writer(driver: HybiDriver): FrameWriter;
  /** Sends a whole message through the extensions. */
  whole(driver: HybiDriver, opcode: number, data: Uint8Array): void;
  /** Sends a whole message as `text()`/`binary()` would; false if it cannot go. */
  send(driver: HybiDriver, opcode: number, data: string | Uint8Array): boolean;
  /** Settles `done` once what was just sent is written. */
  settle(driver: HybiDriver, done: SendCallback): void;
  fail(driver: HybiDriver, error: ProtocolError): void;
  /** False once nothing more may be written (our close frame went out, or failing). */
  mayWrite(driver: HybiDriver): boolean;
  /** Something left the pipeline or the codec: a close frame held for it may go. */
  written(driver: HybiDriver): void;
}

/** @internal Set by HybiDriver's static block; see {@link PieceAccess}. */
export let pieceAccess: PieceAccess;

/** Framing and closing for RFC 6455 drivers; see the module comment. */
export abstract class HybiDriver extends BaseDriver {
  // The frame layer (parser, reader, writer), made on first use: at the
  // first frame received or sent, or the first pause (which the parser
  // must know of). An idle connection never makes it, and
  // an accept neither runs nor compiles its constructors (bench/analysis.md,
  // "Accepts, session 10"). Round three made it on first use and saw the
  // in-process benchmark's fresh connections deoptimize ("weak objects");
  // the same section says what that measures now.
  declare private frames: FrameParser | null;
  declare private reader: MessageReader | null;
  declare private frameWriter: FrameWriter | null;
  // Made on the first ping sent with a callback: an idle connection holds none.
  declare private pingCallbacks: Map<string, Array<() => void>> | null;
  declare private pendingPings: number;
  // Extensions added with addExtension(); agreedExtensions is set only once the
  // handshake made one active, and is what switches on the pipeline.
  declare private extensionStack: ExtensionStack | null;
  declare private agreedExtensions: ExtensionStack | null;
  // The extension session that compresses piece by piece, when streaming
  // goes through it (docs/flow-control.md).
  declare private codec: PieceCodec | null;
  // Flow-control and streaming state, made on first need: an idle
  // connection holds none (see FlowState).
  declare private flowState: FlowState | null;

  static {
    // See PieceAccess: what startMessage() reaches of a driver, and only it.
    pieceAccess = {
      flow: (driver) => driver.flow,
      flowState: (driver) => driver.flowState,
      extensions: (driver) => driver.agreedExtensions,
      codec: (driver) => driver.codec,
      state: (driver) => driver.state.kind,
      hub: (driver) => driver.hub,
      sendFlow: (driver) => driver.sendFlow,
      writer: (driver) => driver.writer,
      whole: (driver, opcode, data) => driver.sendThroughExtensions(opcode, data),
      send: (driver, opcode, data) => (opcode === Opcode.TEXT ? driver.sendText(data) : driver.sendBinary(data as Uint8Array)),
      settle: (driver, done) => driver.settleWhenWritten(done),
      fail: (driver, error) => driver.failConnection(error),
      mayWrite: (driver) => driver.mayWritePipelined(),
      written: (driver) => driver.pipelineProgress(),
    };
  }

  /**
   * Made through the concrete drivers, which the `Driver` factories create;
   * use those.
   *
   * @internal
   */
  constructor(socket: Socket, options: ResolvedOptions) {
    super(socket, options);
    // Every field is set here, in the order declared: no field initializers (see BaseDriver).
    this.frames = null;
    this.reader = null;
    this.frameWriter = null;
    this.pingCallbacks = null;
    this.pendingPings = 0;
    this.extensionStack = null;
    this.agreedExtensions = null;
    this.codec = null;
    this.flowState = null;
  }

  /**
   * Reads frames from the bytes after the handshake; made, with its
   * message reader, on first use.
   *
   * @internal
   */
  protected get parser(): FrameParser {
    return (this.frames ??= this.readFrames());
  }

  private readFrames(): FrameParser {
    const options = this.options;
    const reader = (this.reader = new HybiDriver.#Reader(this, options.maxLength));
    reader.text = options.decodeText ? 'string' : 'bytes';
    if (options.streamMessages) reader.streaming = { sink: reader, maxSize: options.maxStreamedMessageSize, compressed: false };
    const trace = options.trace;
    // The tracer comes from the option's value, so this module does not
    // import the formatter (lib/frame/frame-trace.ts).
    return new FrameParser(trace === null ? reader : trace.reading(reader), frameRulesFor(this.role, options));
  }

  /**
   * Writes frames to the socket, masked on the client; made on first use.
   *
   * @internal
   */
  protected get writer(): FrameWriter {
    return (this.frameWriter ??= this.writeFrames());
  }

  private writeFrames(): FrameWriter {
    const { trace, fragmentSize } = this.options;
    const client = this.role === 'client';
    // §5.3: a client masks every frame it sends; a server never does.
    // Through this.socket, which sees the transport's backpressure.
    return trace === null ? new FrameWriter(this.socket, client, fragmentSize) : trace.writing(this.socket, client, fragmentSize);
  }

  /** The flow-control and streaming state, made now if needed. */
  private get flow(): FlowState {
    return (this.flowState ??= new FlowState());
  }

  override get retainedBytes(): number {
    return super.retainedBytes + (this.frames?.retainedBytes ?? 0) + (this.reader?.retainedBytes ?? 0) + (this.agreedExtensions?.retainedBytes ?? 0);
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
    const payload = this.flowState?.pendingPong?.take() ?? null;
    if (payload === null) return;
    this.sendFlow.heldBytes -= payload.length;
    if (this.state.kind === 'open') this.sendFrame(Opcode.PONG, payload);
    this.resumeInput(PauseReason.PENDING_PONG);
  }

  /**
   * Whether a message may start being sent in pieces (`startMessage()`):
   * the connection is open. A draft connection overrides it.
   *
   * @internal
   */
  mayStartMessage(): boolean {
    return this.state.kind === 'open';
  }

  /**
   * A piece of a compressed message received: inflated through the codec,
   * the output delivered as `messagepiece` as it comes (text checked as
   * UTF-8 on the way, §8.1). Input waits while the piece inflates, and the
   * inflater stops while the application has paused delivery.
   */
  private inflatePiece(piece: Uint8Array, fin: boolean): void {
    const codec = this.codec!;
    const flow = this.flow;
    if (flow.streamedType === 'text') flow.inflateText ??= new TextPieces(this.options.decodeText);
    this.pauseInput(PauseReason.INFLATING);
    codec.decompressPiece(
      piece,
      fin,
      this.options.maxStreamedMessageSize,
      (bytes) => this.hub.run(() => this.inflated(bytes)),
      (error) => this.hub.run(() => this.inflatedPiece(error, fin)),
    );
  }

  /** Inflated bytes of a streamed message; false to stop the inflater (paused or over). */
  private inflated(bytes: Uint8Array): boolean {
    if (this.state.kind === 'closed') return false;
    const text = this.flow.inflateText;
    const data = text === null ? bytes : text.next(bytes, false);
    if (data === null) {
      this.flow.inflateText = null;
      this.failConnection(protocolError('INVALID_UTF8', {}));
      return false;
    }
    if (data.length > 0) this.hub.emit('messagepiece', { data });
    // A listener may have closed the connection, and with it the pause.
    return this.readyState !== 3 && !this.inputGate.pausedBy(PauseReason.APPLICATION);
  }

  /** A compressed piece is consumed: end the message after its last, then read on. */
  private inflatedPiece(error: ProtocolError | null, fin: boolean): void {
    if (this.state.kind === 'closed') return;
    if (error !== null) {
      this.failConnection(error);
      return;
    }
    if (fin) {
      const text = this.flow.inflateText;
      this.flow.inflateText = null;
      // Text must end on a character boundary; a decoder flushes what it held.
      const rest = text === null ? EMPTY : text.next(EMPTY, true);
      if (rest === null) {
        this.failConnection(protocolError('INVALID_UTF8', {}));
        return;
      }
      if (rest.length > 0) this.hub.emit('messagepiece', { data: rest });
      this.hub.emit('messageend', {});
    }
    this.resumeInput(PauseReason.INFLATING);
  }

  protected override onApplicationResume(): void {
    this.codec?.resumeOutput();
  }

  /** Queues a whole message behind the streamed one. */
  private wait(opcode: number, data: string | Uint8Array): boolean {
    const item: WaitingMessage = { opcode, data, done: undefined };
    const flow = this.flow;
    (flow.waiting ??= []).push(item);
    flow.justQueued = item;
    return true;
  }

  protected override settleWhenWritten(done: SendCallback): void {
    const queued = this.flowState?.justQueued ?? null;
    if (queued !== null) {
      // The message waits behind a streamed one: settled when it goes.
      this.flow.justQueued = null;
      queued.done = done;
      return;
    }
    if (this.agreedExtensions === null) {
      super.settleWhenWritten(done);
      return;
    }
    // The message just sent is number pipelineSent - 1 in the pipeline.
    const flow = this.flow;
    const index = flow.pipelineSent - 1;
    if (flow.pipelineWritten > index) super.settleWhenWritten(done);
    else (flow.pipelineCallbacks ??= new Map()).set(index, done);
  }

  override get extensions(): readonly NegotiatedExtension[] {
    return this.agreedExtensions?.negotiated ?? super.extensions;
  }

  protected override registerExtension(extension: Extension): boolean {
    (this.extensionStack ??= new ExtensionStack(this.options.maxLength, this.options.decodeText)).add(extension);
    return true;
  }

  // --- negotiation, for the server and client drivers ---

  /**
   * Server: accepts what it supports of the client's offer; returns the
   * response's Sec-WebSocket-Extensions value, or null. Throws a
   * SyntaxError on a malformed offer.
   */
  protected respondToExtensions(offer: string | undefined): string | null {
    const stack = this.extensionStack;
    if (stack === null) return null;
    const header = stack.respond(offer);
    this.useExtensions(stack);
    return header;
  }

  /**
   * Server: the subprotocol and extensions answered to a request's offers
   * (HTTP/1.1 or HTTP/2 alike). The subprotocol is the first of the
   * client's offers in `options.protocols` (§4.2.2); an extension offer
   * that does not parse is the client's fault (400, 1002), an extension
   * that throws while negotiating ours (500, 1011).
   *
   * @internal
   */
  protected negotiateOffers(
    protocolOffer: string | undefined,
    extensionOffer: string | undefined,
  ): { readonly extensions: string | null } | { readonly status: 400 | 500; readonly error: ProtocolError } {
    this.agreedProtocol = selectSubprotocol(protocolOffer, this.options.protocols);
    try {
      return { extensions: this.respondToExtensions(extensionOffer) };
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      if (cause instanceof SyntaxError) {
        return { status: 400, error: protocolError('HANDSHAKE_BAD_EXTENSION', { detail: message }, { closeCode: Close.PROTOCOL_ERROR }) };
      }
      return { status: 500, error: protocolError('EXTENSION_ERROR', { detail: `extension negotiation failed: ${message}` }) };
    }
  }

  /**
   * Client: the server's answer cannot be accepted (§4.1: fail the
   * connection). The fault's own close code is kept: 1009 for a head past
   * the limits, as a server reports it; 1002 for the rest.
   *
   * @internal
   */
  protected failHandshake(error: ProtocolError): false {
    const cause = error.cause === undefined ? undefined : { cause: error.cause };
    this.failConnection(new ProtocolError(error.code, `Error during WebSocket handshake: ${error.message}`, error.closeCode, cause));
    return false;
  }

  /** Client: the Sec-WebSocket-Extensions offer, or null. */
  protected offerExtensions(): string | null {
    return this.extensionStack?.offer() ?? null;
  }

  /**
   * Client: activates what the server's response accepted, or returns why
   * the response is unacceptable (RFC 6455 §4.1: an extension that was not
   * offered fails the connection).
   */
  protected acceptExtensions(header: string | undefined): ProtocolError | null {
    const stack = this.extensionStack;
    if (stack === null) {
      if (header === undefined || header.trim() === '') return null;
      return protocolError('HANDSHAKE_BAD_EXTENSION', {
        detail: `Sec-WebSocket-Extensions: server accepted ${JSON.stringify(header)}, but no extension was offered`,
      });
    }
    const error = stack.accept(header);
    if (error === null) this.useExtensions(stack);
    return error;
  }

  /**
   * Client: fails the handshake over extensions. The server already
   * considers the connection open, so it is told why with a close frame
   * (1010, §7.4.1) before the connection ends.
   */
  protected failExtensionNegotiation(error: ProtocolError): void {
    this.writeClose(error.closeCode, this.failureReason(error));
    this.failConnection(error);
  }

  private useExtensions(stack: ExtensionStack): void {
    if (!stack.active) return;
    this.agreedExtensions = stack;
    // §5.2: RSV bits are allowed where an active extension claims them.
    this.parser.allowedRsv = stack.allowedRsv;
    // Text is validated after the extensions have decoded it (the reader
    // exists: it is made with the parser, just read).
    this.reader!.text = 'raw';
    // Streamed messages go through the extension piece by piece only if it
    // is the only one and can (wsdriver's own permessage-deflate); else whole.
    const codec = stack.pieceCodec;
    if (codec !== null) {
      this.codec = codec;
      const streaming = this.reader!.streaming;
      if (streaming !== null) streaming.compressed = true;
    }
  }

  // The message reader, reporting to this driver: the reader is its own
  // sink, so no object sits between them. Declared in the class body to
  // reach the driver's private methods.
  static readonly #Reader = class extends MessageReader implements StreamedMessageSink {
    readonly #driver: HybiDriver;

    constructor(driver: HybiDriver, maxLength: number) {
      super(maxLength);
      this.#driver = driver;
    }

    onMessage(opcode: number, rsv: number, data: string | Uint8Array): void {
      this.#driver.receivedMessage(opcode, rsv, data);
    }

    onControl(opcode: number, payload: Uint8Array): void {
      this.#driver.receivedControl(opcode, payload);
    }

    onReadError(error: ProtocolError): void {
      this.#driver.failConnection(error);
    }

    onMessageStart(type: 'text' | 'binary'): void {
      this.#driver.flow.streamedType = type;
      this.#driver.hub.emit('messagestart', { type });
    }

    onCompressedPiece(piece: Uint8Array, fin: boolean): void {
      this.#driver.inflatePiece(piece, fin);
    }

    onMessagePiece(data: string | Uint8Array): void {
      this.#driver.hub.emit('messagepiece', { data });
    }

    onMessageEnd(): void {
      this.#driver.hub.emit('messageend', {});
    }
  };

  // --- what the reader assembled ---

  private receivedMessage(opcode: number, rsv: number, data: string | Uint8Array): void {
    const extensions = this.agreedExtensions;
    if (extensions === null) {
      const type = opcode === Opcode.TEXT ? 'text' : 'binary';
      if (type === 'binary' || typeof data === 'string') return void this.hub.emit('message', { data, type });
      // Text the reader checked, as bytes: given back to text() during the event (an echo, a relay), not checked again.
      markDeliveredText(data);
      this.hub.emit('message', { data, type });
      markDeliveredText(null);
      return;
    }
    // With extensions, the reader hands over every message as bytes.
    extensions.incoming(opcode, rsv, data as Uint8Array, (result, text) => this.hub.run(() => this.decoded(result, text)));
  }

  private receivedControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.CLOSE) {
      this.receivedClose(payload);
    } else if (opcode === Opcode.PING) {
      this.hub.emit('ping', { data: payload });
      if (this.options.autoPong && this.state.kind === 'open') this.answerPing(payload);
    } else {
      this.deadlines?.pongReceived();
      this.hub.emit('pong', { data: payload });
      this.runPingCallbacks(payload);
    }
  }

  // --- sending ---

  // The base driver calls these in `open` only; a failure while the queue
  // is flushed at open can end the connection between two of them.

  protected sendText(message: string | Uint8Array): boolean {
    if (this.state.kind !== 'open') return false;
    const flow = this.flowState;
    const bytes = typeof message !== 'string';
    if (flow !== null) {
      flow.justQueued = null;
      // Bytes copied, as binary()'s below.
      if (flow.outgoing !== null) return this.wait(Opcode.TEXT, bytes ? copyBytes(message) : message);
    }
    if (this.agreedExtensions !== null) return this.sendThroughExtensions(Opcode.TEXT, bytes ? copyBytes(message) : toBytes(message));
    // Already UTF-8 (checked by text()): framed as binary() frames, with the text opcode.
    if (bytes) this.writer.message(Opcode.TEXT, 0, message);
    else this.writer.text(message);
    return true;
  }

  protected sendBinary(message: Uint8Array): boolean {
    if (this.state.kind !== 'open') return false;
    const flow = this.flowState;
    if (flow !== null) {
      flow.justQueued = null;
      // Copied: the caller may reuse its buffer before the streamed message ends.
      if (flow.outgoing !== null) return this.wait(Opcode.BINARY, copyBytes(message));
    }
    // Copied: the pipeline may read it after binary() returns, and the
    // caller is free to reuse its buffer by then.
    if (this.agreedExtensions !== null) return this.sendThroughExtensions(Opcode.BINARY, copyBytes(message));
    this.writer.message(Opcode.BINARY, 0, message);
    return true;
  }

  /** The shared frame as it is, where this connection can write it; see {@link PreparedMessage}. */
  protected override sendPreparedFrame(message: PreparedMessage): boolean {
    if (this.state.kind !== 'open') return false;
    if (this.agreedExtensions !== null) {
      // The extension may share one encoded form across connections (see ExtensionMessage.prepared).
      return this.sendThroughExtensions(message.opcode, message.payload, message);
    }
    // A client masks with its own key; a traced connection reports each frame as it encodes it.
    if (this.role !== 'server' || message.payload.length > this.options.fragmentSize || this.options.trace !== null) {
      return super.sendPreparedFrame(message);
    }
    this.writer.prepared(message.frame);
    return true;
  }

  protected sendPing(message: Uint8Array, callback: (() => void) | undefined): boolean {
    if (this.state.kind !== 'open') return false;
    if (callback !== undefined) {
      if (this.pendingPings >= this.options.maxPendingPings) return false;
      const key = payloadKey(message);
      const callbacks = (this.pingCallbacks ??= new Map());
      const list = callbacks.get(key);
      if (list === undefined) callbacks.set(key, [callback]);
      else list.push(callback);
      this.pendingPings++;
    }
    this.sendFrame(Opcode.PING, message);
    return true;
  }

  protected sendPong(message: Uint8Array): boolean {
    return this.sendFrame(Opcode.PONG, message);
  }

  protected checkClose(code: number, reason: string): void {
    // Throws a RangeError for a code that may not be sent or a long reason.
    this.encodeClose(code, reason);
  }

  // --- the closing handshake: one method per move ---

  /** Open → closing by us: our close frame is sent, or held while messages sent before it are in the pipeline. */
  protected closeOpenConnection(code: number, reason: string): void {
    // Messages already accepted by text()/binary() go out first (§5.5.1:
    // nothing may follow the close frame, so they could not go after it).
    // Compressed pieces of a streamed message still in the codec count as in the pipeline.
    const held = this.agreedExtensions !== null && (!this.agreedExtensions.outgoingIdle || (this.flowState?.codecPending ?? 0) > 0);
    // Closing before the frame is written: a synchronous transport may feed
    // the peer's answer back into parse() from inside write(), and that
    // answer must not be answered with a second close frame (§5.5.1).
    this.enterClosing({ kind: 'closing', by: 'us', ours: { code, reason }, oursSent: !held, theirs: null });
    if (!held) this.writeClose(code, reason);
  }

  /**
   * A failure (then closed): a close frame with the error's code, unless ours was sent already; it replaces one still held.
   *
   * @internal
   */
  protected sendFailure(error: ProtocolError, prior: ConnectionState): void {
    const oursSent = prior.kind === 'closing' && prior.by === 'us' && prior.oursSent;
    if ((prior.kind === 'open' || prior.kind === 'closing') && !oursSent) {
      this.writeClose(error.closeCode, this.failureReason(error));
    }
  }

  /** The peer's close frame: completes the closing handshake, or is held (closing) while the pipeline is busy. */
  private receivedClose(payload: Uint8Array): void {
    const theirs = (this.options.compat?.readClose ?? parseClosePayload)(payload);
    if (theirs instanceof ProtocolError) {
      this.failConnection(theirs);
      return;
    }
    // §5.5.1: the peer sends nothing after its close frame; nothing more is read.
    this.parser.stop();
    const extensions = this.agreedExtensions;
    if (extensions !== null && !(extensions.incomingIdle && extensions.outgoingIdle)) {
      // Messages before this close frame are still in the pipeline: deliver
      // and send them first (§5.5.1 lets the answer wait for the current message).
      const state = this.state;
      if (state.kind === 'open') this.enterClosing({ kind: 'closing', by: 'peer', theirs });
      else if (state.kind === 'closing' && state.by === 'us') this.state = { ...state, theirs };
      return;
    }
    this.acknowledgeClose(theirs);
  }

  /** Progress in the pipeline while closing: a held close frame of ours goes out, a held close of theirs completes. */
  private pipelineProgress(): void {
    const state = this.state;
    if (state.kind !== 'closing' || state.by === 'failure') return;
    const extensions = this.agreedExtensions!;
    if (state.by === 'us' && !state.oursSent && extensions.outgoingIdle && (this.flowState?.codecPending ?? 0) === 0) {
      this.state = { ...state, oursSent: true };
      this.writeClose(state.ours.code, state.ours.reason);
    }
    if (state.theirs !== null && extensions.incomingIdle && extensions.outgoingIdle && (this.flowState?.codecPending ?? 0) === 0) this.acknowledgeClose(state.theirs);
  }

  /** Closing → closed, cleanly: the peer's close frame is answered unless ours was sent first (§5.5.1), then `close`. */
  private acknowledgeClose(theirs: CloseFrame): void {
    const state = this.state;
    if (state.kind === 'open' || (state.kind === 'closing' && state.by === 'peer')) {
      // §5.5.1: the answer typically echoes the status code received.
      this.writeClose(theirs.code, this.options.compat?.echoCloseReason ? theirs.reason : '');
    }
    this.finish(theirs.code, theirs.reason, true);
  }

  protected override onClosed(): void {
    this.frames?.stop();
    this.pingCallbacks = null;
    this.pendingPings = 0;
    this.sendFlow.heldBytes = 0;
    const flow = this.flowState;
    this.flowState = null;
    if (flow !== null) {
      flow.outgoing?.stop();
      if (flow.waiting !== null) for (const item of flow.waiting) if (item.done !== undefined) failSend(item.done);
      if (flow.pipelineCallbacks !== null) for (const done of flow.pipelineCallbacks.values()) failSend(done);
    }
    this.extensionStack?.close();
  }

  // --- the extension pipeline ---

  private sendThroughExtensions(opcode: number, data: Uint8Array, prepared?: PreparedMessage): boolean {
    this.flow.pipelineSent++;
    this.agreedExtensions!.outgoing(opcode, data, (result) => this.hub.run(() => this.encoded(result)), prepared);
    return true;
  }

  /** The next message out of the pipeline was written (or dropped): settle its callback. */
  private settleNextFromPipeline(error: Error | undefined): void {
    const flow = this.flow;
    const index = flow.pipelineWritten++;
    const done = flow.pipelineCallbacks?.get(index);
    if (done === undefined) return;
    flow.pipelineCallbacks!.delete(index);
    queueMicrotask(() => done(error));
  }

  /** A received message out of the pipeline, in wire order. */
  private decoded(result: string | Uint8Array | ProtocolError, text: boolean): void {
    const state = this.state;
    if (state.kind === 'closed' || (state.kind === 'closing' && state.by === 'failure')) return;
    if (result instanceof ProtocolError) {
      this.failConnection(result);
      return;
    }
    this.hub.emit('message', { data: result, type: text ? 'text' : 'binary' });
    this.pipelineProgress();
  }

  /** A message to send out of the pipeline, in send order. */
  private encoded(result: EncodedMessage | ProtocolError): void {
    // Messages sent before our close frame still go out while it is held;
    // nothing goes out after it, nor while failing.
    if (!this.mayWritePipelined()) {
      this.settleNextFromPipeline(new Error(CLOSED_BEFORE_SENT));
      return;
    }
    if (result instanceof ProtocolError) {
      this.settleNextFromPipeline(result);
      this.failConnection(result);
      return;
    }
    this.writer.message(result.opcode, result.rsv, result.data);
    this.settleNextFromPipeline(undefined);
    this.pipelineProgress();
  }

  /** True while what left the pipeline (or the piece codec) may still be written: before our close frame went out. */
  private mayWritePipelined(): boolean {
    const state = this.state;
    return !(state.kind === 'closed' || (state.kind === 'closing' && (state.by === 'failure' || (state.by === 'us' && state.oursSent))));
  }

  /**
   * Answers a ping at once, or, while the transport is backed up, keeps
   * one pong for the latest ping and stops reading until it drains.
   */
  private answerPing(payload: Uint8Array): void {
    if (!this.sendFlow.backedUp) {
      this.flowState?.pendingPong?.answeredAtOnce();
      this.sendFrame(Opcode.PONG, payload);
      return;
    }
    const pending = (this.flow.pendingPong ??= new PendingPong());
    this.sendFlow.heldBytes -= pending.size;
    if (!pending.defer(payload)) {
      pending.take();
      this.failConnection(protocolError('PING_FLOOD', {}));
      return;
    }
    this.sendFlow.heldBytes += pending.size;
    this.sendFlow.wait();
    this.pauseInput(PauseReason.PENDING_PONG);
  }

  private sendFrame(opcode: number, payload: Uint8Array): boolean {
    if (this.state.kind !== 'open') return false;
    this.writer.frame(true, 0, opcode, payload);
    return true;
  }

  /** Writes a close frame; the callers above decide whether one may still be sent. */
  private writeClose(code: number, reason: string): void {
    this.writer.frame(true, 0, Opcode.CLOSE, code === Close.NO_STATUS ? EMPTY : this.encodeClose(code, reason));
  }

  private encodeClose(code: number, reason: string): Uint8Array {
    return (this.options.compat?.encodeClose ?? encodeClosePayload)(code, reason);
  }

  /** The reason in the close frame that fails the connection. */
  private failureReason(error: ProtocolError): string {
    return this.options.compat?.failureReason(error) ?? truncateReason(error.message);
  }

  private runPingCallbacks(payload: Uint8Array): void {
    if (this.pendingPings === 0 || this.pingCallbacks === null) return;
    const key = payloadKey(payload);
    const callbacks = this.pingCallbacks.get(key);
    if (callbacks === undefined) return;
    // A pong may answer several pings with the same payload (§5.5.3).
    this.pingCallbacks.delete(key);
    this.pendingPings -= callbacks.length;
    for (const callback of callbacks) this.hub.call(callback);
  }
}

/**
 * What flow control and streamed messages keep per connection, in one
 * object made on first need (an idle connection holds none).
 *
 * @internal
 */
export class FlowState {
  // The pong owed while the transport is backed up (§5.5.3).
  pendingPong: PendingPong | null = null;
  // Send callbacks of messages in the extension pipeline, by their number in send order.
  pipelineCallbacks: Map<number, SendCallback> | null = null;
  pipelineSent = 0;
  pipelineWritten = 0;
  // The message being sent in pieces, and whole messages waiting for its end.
  outgoing: StreamedOut | null = null;
  waiting: WaitingMessage[] | null = null;
  // The message sendText/sendBinary just queued behind the streamed one, for its callback.
  justQueued: WaitingMessage | null = null;
  // Compressed pieces of a streamed message still in the codec.
  codecPending = 0;
  // The type of the streamed message being inflated, and the check (and decoder) of its text.
  streamedType: 'text' | 'binary' = 'binary';
  inflateText: TextPieces | null = null;
}

/** Cuts an error message to fit a close frame's 123-byte reason. */
function truncateReason(message: string): string {
  const bytes = toBytes(message);
  if (bytes.length <= 123) return message;
  // Error messages are ASCII; cut on a character boundary all the same.
  let end = 123;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
