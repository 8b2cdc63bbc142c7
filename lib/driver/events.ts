/**
 * The events every driver emits, and the socket contract it writes to.
 *
 * @module
 */
import type { ProtocolError } from '../errors.js';

/** Emitted once when the connection opens (the handshake completed). */
export interface OpenEvent {}

/** A complete message: a string for text, bytes for binary. */
export interface MessageEvent {
  readonly data: string | Uint8Array;
}

/** A ping or pong frame received; `data` is its payload. */
export interface PingEvent {
  readonly data: Uint8Array;
}

/** A pong frame received; `data` is its payload. */
export interface PongEvent {
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
  readonly code: number;
  readonly reason: string;
  /** True if close frames were both sent and received. */
  readonly wasClean: boolean;
}

/** `Driver.server` only: the request head has arrived (see `driver.env`). */
export interface ConnectEvent {}

/** Event name to event payload, for `on`, `once` and `off`. */
export interface DriverEventMap {
  connect: ConnectEvent;
  open: OpenEvent;
  message: MessageEvent;
  /** The peer broke the protocol: a {@link ProtocolError} with `code` and `closeCode`. */
  error: ProtocolError;
  close: CloseEvent;
  ping: PingEvent;
  pong: PongEvent;
}

/**
 * What a driver writes to. Every byte the driver produces goes through
 * `write`, in order; the driver never reads from the socket: the
 * application passes what it receives to `driver.parse()`.
 */
export interface Socket {
  write(bytes: Uint8Array): void;
  /** Client: the ws: or wss: URL to connect to. Server: the URL of the request (optional). */
  url?: string | URL;
  /** Rack-style driver: the request, already parsed by an HTTP server. */
  env?: unknown;
}
