/**
 * The `trace` option: each frame read and written, in readable form, for
 * debugging (as python-websockets' debug log shows frames).
 *
 * Tracing is switched on by construction, not by a check per frame: with
 * `trace` set, the driver reads through a {@link TracingFrameHandler} and
 * writes through a {@link TracingFrameWriter}; without it, neither exists
 * and the frame path is exactly the untraced one.
 *
 * The option takes `traceFrames(listener)`, not the listener itself: the
 * driver reaches this module only through the value the caller made, so an
 * application that never traces does not bundle the formatter (about
 * 0.4 KB gzipped in a browser build).
 *
 * @module
 */
import { FrameWriter } from './frame-encoder.js';
import type { Socket } from '../events.js';
import type { FrameHandler, FrameHeader } from './frame-parser.js';
import { Opcode } from './opcodes.js';
import type { ProtocolError } from '../errors.js';

/** One frame, as the `trace` option receives it. */
export interface FrameTrace {
  /** `'in'` for a frame read from the peer, `'out'` for one written to it. */
  readonly direction: 'in' | 'out';
  /** The opcode's name (RFC 6455 §5.2). */
  readonly opcode: 'continuation' | 'text' | 'binary' | 'close' | 'ping' | 'pong';
  /** True on the last frame of a message (always, for control frames). */
  readonly fin: boolean;
  /** RSV1-3 as the bits 0x40, 0x20, 0x10 of the first byte (0x40: compressed, with permessage-deflate). */
  readonly rsv: number;
  /** True if the payload was masked on the wire (every client frame). */
  readonly masked: boolean;
  /** Payload length in bytes. */
  readonly length: number;
  /**
   * The start of the payload, unmasked: text frames as a quoted string,
   * close frames as code and reason, others as hex bytes; `…` when cut.
   */
  readonly preview: string;
}

/** Called with each frame; see {@link DriverOptions.trace}. */
export type FrameTraceListener = (frame: FrameTrace) => void;

// Made by a call marked pure, so an app that never traces drops the table too.
const NAMES: Record<number, FrameTrace['opcode']> = /* @__PURE__ */ (() => ({
  [Opcode.CONTINUATION]: 'continuation',
  [Opcode.TEXT]: 'text',
  [Opcode.BINARY]: 'binary',
  [Opcode.CLOSE]: 'close',
  [Opcode.PING]: 'ping',
  [Opcode.PONG]: 'pong',
}))();

/**
 * The `trace` option's value, made by {@link traceFrames}: builds the
 * tracing frame handler and writer a driver reads and writes through.
 */
export interface FrameTracer {
  /**
   * Wraps the handler the parser feeds, reporting each frame read.
   *
   * @internal
   */
  readonly reading: (inner: FrameHandler) => FrameHandler;
  /**
   * A frame writer that reports each frame it writes.
   *
   * @internal
   */
  readonly writing: (sink: Socket, masked: boolean, fragmentSize: number) => FrameWriter;
}

/**
 * The value for the `trace` option: `listener` is called with each RFC 6455
 * frame read and written, e.g.
 * `Driver.client(socket, { trace: traceFrames((f) => console.debug(f)) })`.
 */
export function traceFrames(listener: FrameTraceListener): FrameTracer {
  if (typeof listener !== 'function') throw new TypeError('traceFrames(listener) takes a function');
  return Object.freeze({
    reading: (inner: FrameHandler) => new TracingFrameHandler(inner, listener),
    writing: (sink: Socket, masked: boolean, fragmentSize: number) => new TracingFrameWriter(sink, masked, fragmentSize, listener),
  });
}

/** Payload bytes shown in a preview. */
const PREVIEW_BYTES = 32;
const decoder = /* @__PURE__ */ new TextDecoder();

/** The readable start of a payload; `head` holds at most {@link PREVIEW_BYTES} of its `length` bytes. */
export function previewPayload(opcode: number, rsv: number, head: Uint8Array, length: number): string {
  const cut = length > head.length ? '…' : '';
  // A compressed payload (RSV1) is not readable text: shown as bytes.
  if (opcode === Opcode.TEXT && rsv === 0) return JSON.stringify(decoder.decode(head)) + cut;
  if (opcode === Opcode.CLOSE && head.length >= 2) {
    return `${(head[0]! << 8) | head[1]!} ${JSON.stringify(decoder.decode(head.subarray(2)))}${cut}`;
  }
  let hex = '';
  for (let i = 0; i < head.length; i++) hex += (i === 0 ? '' : ' ') + head[i]!.toString(16).padStart(2, '0');
  return hex + cut;
}

function traceOf(direction: 'in' | 'out', header: FrameHeader, head: Uint8Array): FrameTrace {
  return {
    direction,
    opcode: NAMES[header.opcode]!,
    fin: header.fin,
    rsv: header.rsv,
    masked: header.masked,
    length: header.length,
    preview: previewPayload(header.opcode, header.rsv, head, header.length),
  };
}

/** Passes frames on to the handler it wraps, and reports each once its payload is complete. */
export class TracingFrameHandler implements FrameHandler {
  readonly #inner: FrameHandler;
  readonly #listener: FrameTraceListener;
  #header: FrameHeader = { fin: false, rsv: 0, opcode: 0, masked: false, length: 0 };
  #head = new Uint8Array(PREVIEW_BYTES);
  #headLength = 0;

  constructor(inner: FrameHandler, listener: FrameTraceListener) {
    this.#inner = inner;
    this.#listener = listener;
  }

  onFrameHeader(header: FrameHeader): boolean {
    // The parser reuses its header object: keep a copy.
    this.#header = { ...header };
    this.#headLength = 0;
    return this.#inner.onFrameHeader(header);
  }

  onFramePayload(piece: Uint8Array, last: boolean, borrowed: boolean): boolean {
    const room = PREVIEW_BYTES - this.#headLength;
    if (room > 0) {
      const take = piece.subarray(0, room);
      this.#head.set(take, this.#headLength);
      this.#headLength += take.length;
    }
    // Reported before the handler acts on it, so a close frame's trace comes before the answer's.
    if (last) this.#listener(traceOf('in', this.#header, this.#head.slice(0, this.#headLength)));
    return this.#inner.onFramePayload(piece, last, borrowed);
  }

  wantsWholeFrame(header: FrameHeader): boolean {
    return this.#inner.wantsWholeFrame(header);
  }

  onGatheredPiece(piece: Uint8Array, whole: Uint8Array | null): boolean {
    return this.#inner.onGatheredPiece(piece, whole);
  }

  onFrameError(error: ProtocolError): void {
    this.#inner.onFrameError(error);
  }
}

/** A {@link FrameWriter} that reports each frame it writes. */
export class TracingFrameWriter extends FrameWriter {
  readonly #listener: FrameTraceListener;
  readonly #masked: boolean;

  constructor(sink: Socket, masked: boolean, fragmentSize: number, listener: FrameTraceListener) {
    super(sink, masked, fragmentSize);
    this.#masked = masked;
    this.#listener = listener;
  }

  override frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    const header = { fin, rsv, opcode, masked: this.#masked, length: payload.length };
    this.#listener(traceOf('out', header, payload.subarray(0, PREVIEW_BYTES)));
    super.frame(fin, rsv, opcode, payload);
  }

  // The untraced writer encodes short texts straight into their frame; here
  // every text goes through frame(), to be reported.
  override text(text: string): void {
    this.message(Opcode.TEXT, 0, new TextEncoder().encode(text));
  }
}
