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
   */
  readonly data: string | Uint8Array;
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
}

/**
 * What a driver writes to. Every byte the driver produces goes through
 * `write`, in order; the driver never reads from the socket: the
 * application passes what it receives to `driver.parse()`.
 */
export interface Socket {
  /**
   * Sends bytes to the peer, in order. The driver never changes `bytes`
   * after the call; a server may pass a large `binary()` payload as-is, so
   * `bytes` can be a view of the application's own buffer.
   */
  write(bytes: Uint8Array): void;
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
