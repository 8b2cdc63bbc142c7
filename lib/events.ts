/**
 * The events every driver emits, and the socket contract it writes to.
 *
 * @module
 */
import type { ProtocolError } from './errors.js';

/** Emitted once when the connection opens (the handshake completed). */
export interface OpenEvent {}

/** A complete message: a string for text, bytes for binary. */
export interface MessageEvent {
  /**
   * The message: a string for text (already checked to be UTF-8), bytes
   * for binary. Binary data may be a view into a chunk given to `parse()`.
   * With `decodeText: false`, text arrives as bytes too (checked UTF-8,
   * possibly such a view): tell them apart by `type`.
   */
  readonly data: string | Uint8Array;
  /** The message's type (opcode): `'text'` whether `data` is a string or UTF-8 bytes. */
  readonly type: 'text' | 'binary';
}

/** A ping frame received; `data` is its payload. */
export interface PingEvent {
  /** The ping's payload, at most 125 bytes. */
  readonly data: Uint8Array;
}

/** A pong frame received; `data` is its payload. */
export interface PongEvent {
  /** The pong's payload, at most 125 bytes. */
  readonly data: Uint8Array;
}

/**
 * Emitted exactly once, when the connection is over.
 *
 * `code` is the status code of the close frame received from the peer
 * (1005 if it carried none); when the driver failed the connection itself,
 * the code it sent; 1006 when the transport ended with no close handshake.
 */
export interface CloseEvent {
  /** The close code, as above: 1000-4999, or 1005/1006 which are never sent. */
  readonly code: number;
  /** The reason from the peer's close frame, or the error message; '' for none. */
  readonly reason: string;
  /** True if close frames were both sent and received. */
  readonly wasClean: boolean;
}

/** `Driver.server` only: the request head has arrived (see `driver.env`). */
export interface ConnectEvent {}

/**
 * `readyState` became 2 (closing), whoever started the closing handshake:
 * this side (its close frame sent, or held until earlier messages have
 * left the extension pipeline; it waits for the peer's) or the peer (its
 * close frame arrived while received messages were still in the pipeline;
 * the answer waits for them). A peer's close answered at once goes from
 * open straight to `close` without it, as does a protocol failure
 * (`error`, then `close`). A transport adapter uses it to stop waiting for
 * a peer that never finishes: the core itself starts no timer.
 */
export interface ClosingEvent {}

/**
 * The transport has drained after a write it could not take at once, or
 * after a send was refused for `maxBufferedBytes`: sending may resume.
 */
export interface DrainEvent {}

/**
 * Flow control of input: `pause` asks the transport to stop reading (the
 * application paused delivery, or a pong waits for a backed-up transport),
 * `resume` lets it read again. Input given to `parse()` meanwhile is held,
 * up to `maxPausedBytes`.
 */
export interface ReadingEvent {}

/** With `streamMessages`: a data message begins; its pieces follow. */
export interface MessageStartEvent {
  /** The message's type. */
  readonly type: 'text' | 'binary';
}

/** With `streamMessages`: a piece of the message being received. */
export interface MessagePieceEvent {
  /**
   * Text decoded so far (checked as UTF-8; a character split across
   * pieces arrives whole in the later one), or bytes: a view into a chunk
   * given to `parse()`. With `decodeText: false`, text pieces are bytes
   * too, checked as they arrive (a character may be split between two).
   */
  readonly data: string | Uint8Array;
}

/** With `streamMessages`: the message is complete. */
export interface MessageEndEvent {}

/** Event name to event payload, for `on`, `once` and `off`. */
export interface DriverEventMap {
  /** `Driver.server` only: the request head has arrived; call `start()` or `reject()`. */
  connect: ConnectEvent;
  /** The handshake completed: messages can flow. */
  open: OpenEvent;
  /** `readyState` became 2, whoever started closing: see {@link ClosingEvent}. */
  closing: ClosingEvent;
  /** A complete message arrived. */
  message: MessageEvent;
  /** The peer broke the protocol: a {@link ProtocolError} with `code` and `closeCode`. */
  error: ProtocolError;
  /** The connection is over; emitted exactly once. */
  close: CloseEvent;
  /** A ping arrived (answered with a pong unless `autoPong` is off). */
  ping: PingEvent;
  /** A pong arrived. */
  pong: PongEvent;
  /** With `streamMessages`: a message begins. */
  messagestart: MessageStartEvent;
  /** With `streamMessages`: a piece of it. */
  messagepiece: MessagePieceEvent;
  /** With `streamMessages`: its end. */
  messageend: MessageEndEvent;
  /** Sending may resume: see {@link DrainEvent}. */
  drain: DrainEvent;
  /** Stop reading the transport: see {@link ReadingEvent}. */
  pause: ReadingEvent;
  /** Read the transport again: see {@link ReadingEvent}. */
  resume: ReadingEvent;
}

/**
 * What a driver writes to. Every byte the driver produces goes through
 * `write`, in order; the driver never reads from the socket: the
 * application passes what it receives to `driver.parse()`. The contract
 * in full is in docs/flow-control.md.
 */
export interface Socket {
  /**
   * Sends bytes to the peer, in order. The bytes are the transport's to
   * keep: the driver never changes them after the call and never reuses
   * the buffer, so they may be queued by reference. The exception: a
   * server passes a large (> 16 KiB) `binary()` payload as-is, a view of
   * the application's own buffer. Each call is one frame or part of one.
   *
   * Return `false` when the transport is backed up (as Node's
   * `stream.write()` does); then call `driver.transportDrained()` once it
   * has drained. Any other return value means "keep going".
   */
  write(bytes: Uint8Array): unknown;
  /**
   * Bytes written that the transport has not yet handed on (Node:
   * `stream.writableLength`); read by `driver.bufferedAmount` and the
   * `maxBufferedBytes` check. Absent: counted as 0.
   */
  readonly bufferedAmount?: number;
  /**
   * Set to true if every frame must be one `write()` (header and payload
   * joined, one copy for a large payload); by default a large unmasked
   * payload follows its header in a second write, uncopied.
   */
  readonly wholeFrames?: boolean;
  /** Client: the ws: or wss: URL to connect to. Server: the URL of the request (optional). */
  url?: string | URL;
  /** Rack-style driver: the request, already parsed by an HTTP server. */
  env?: unknown;
}

/**
 * What a {@link Socket} carries besides `write`, for the adapters that
 * make the socket (`streamSocket` in wsdriver/node, `runOverStreams` in
 * wsdriver/streams): a client's URL, a rack-style server's request.
 */
export type SocketInfo = Pick<Socket, 'url' | 'env'>;
