/**
 * A driver's connection state, as a discriminated union, and the
 * WebSocket API's `readyState` numbers derived from it.
 *
 * @module
 */

/** Where a connection stands. */
export type ConnectionState =
  /** Before the handshake completes. */
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open' }
  /** This side sent a close frame and waits for the peer's. */
  | { readonly kind: 'closing' }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string; readonly wasClean: boolean };

/** `readyState` values, as in the WebSocket API. */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;

/** A {@link ReadyState} value. */
export type ReadyStateValue = (typeof ReadyState)[keyof typeof ReadyState];

const NUMBERS = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/** The `readyState` number for a state. */
export function readyStateOf(state: ConnectionState): ReadyStateValue {
  return NUMBERS[state.kind];
}

export const CONNECTING: ConnectionState = Object.freeze({ kind: 'connecting' });
export const OPEN: ConnectionState = Object.freeze({ kind: 'open' });
export const CLOSING: ConnectionState = Object.freeze({ kind: 'closing' });
