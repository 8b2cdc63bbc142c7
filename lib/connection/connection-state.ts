/**
 * A driver's connection state, as a discriminated union, and the
 * WebSocket API's `readyState` numbers derived from it.
 *
 * @module
 */

/** Where a connection stands. */
export type ConnectionState =
  | {
      /** Before the handshake completes. */
      readonly kind: 'connecting';
    }
  | {
      /** Messages flow both ways. */
      readonly kind: 'open';
    }
  | {
      /**
       * The closing handshake has begun: this side sent a close frame and
       * waits for the peer's, or holds the peer's until the messages before
       * it have gone through the extensions. No message can be sent.
       */
      readonly kind: 'closing';
    }
  | {
      /** Over; `close` has been emitted with these values. */
      readonly kind: 'closed';
      /** The code reported in the `close` event. */
      readonly code: number;
      /** The reason reported in the `close` event. */
      readonly reason: string;
      /** True if close frames were both sent and received. */
      readonly wasClean: boolean;
    };

/** `readyState` values, as in the WebSocket API. */
export const ReadyState = {
  /** The handshake has not completed. */
  CONNECTING: 0,
  /** Messages can be sent and received. */
  OPEN: 1,
  /** The closing handshake has begun. */
  CLOSING: 2,
  /** The connection is over. */
  CLOSED: 3,
} as const;

/** A {@link ReadyState} value: 0, 1, 2 or 3. */
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

const NUMBERS = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/** The `readyState` number for a state. */
export function readyStateOf(state: ConnectionState): ReadyState {
  return NUMBERS[state.kind];
}

export const CONNECTING: ConnectionState = Object.freeze({ kind: 'connecting' });
export const OPEN: ConnectionState = Object.freeze({ kind: 'open' });
export const CLOSING: ConnectionState = Object.freeze({ kind: 'closing' });
