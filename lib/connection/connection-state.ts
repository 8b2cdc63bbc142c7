/**
 * A driver's connection state, as a discriminated union, and the
 * WebSocket API's `readyState` numbers derived from it.
 *
 * @module
 */

/** A close frame's status code and reason (RFC 6455 §5.5.1, §7.1.5-6). */
export interface CloseFrame {
  /** The status code; 1005 for a close frame that carried none. */
  readonly code: number;
  /** The reason, '' for none. */
  readonly reason: string;
}

/**
 * The closing handshake (RFC 6455 §7.1.2-4), told apart by who started it
 * and which close frames have been sent or are held. No message can be
 * sent in any of them; `readyState` is 2 (CLOSING) for all.
 *
 * ```text
 * open --close()--------------------------> by us, ours held (pipeline busy)
 *   |        \                                   | outgoing pipeline drained: ours sent
 *   |         `--(pipeline idle)-----------> by us, ours sent
 *   |                                            | peer's close received
 *   |                                            v
 *   |                                       (pipeline idle) --> closed, clean
 *   |                                       (pipeline busy) --> by us, theirs held
 *   |                                                            | drained --> closed
 *   '--peer's close, pipeline busy---------> by peer (answer held)
 *                                                | drained: answer sent --> closed
 *   peer's close, pipeline idle: answer sent --> closed (never closing)
 *
 * any state but closed --fault--> failing (error emitted) --> closed,
 *                                 after a close frame with the fault's code
 * ```
 *
 * "Pipeline" is the extension pipeline (lib/extensions/): messages sent
 * before a close frame must leave it first, since nothing may follow a
 * close frame (§5.5.1), and messages received before the peer's close are
 * delivered before `close` fires. With no extension it is always idle.
 */
export type ClosingState =
  | {
      /** The closing handshake is under way. */
      readonly kind: 'closing';
      /** This side started: `close()` was called. */
      readonly by: 'us';
      /** The close frame this side sends. */
      readonly ours: CloseFrame;
      /** False while ours is held until the messages sent before it have left the pipeline. */
      readonly oursSent: boolean;
      /** The peer's close frame once it arrived, held while messages received before it are still in the pipeline. */
      readonly theirs: CloseFrame | null;
    }
  | {
      /** The closing handshake is under way. */
      readonly kind: 'closing';
      /**
       * The peer started: its close frame arrived while messages were still
       * in the pipeline. Our answer, echoing its code (§5.5.1), and the
       * `close` event wait until they have gone through.
       */
      readonly by: 'peer';
      /** The peer's close frame. */
      readonly theirs: CloseFrame;
    }
  | {
      /** The closing handshake is under way. */
      readonly kind: 'closing';
      /**
       * This side is failing the connection (RFC 6455 §7.1.7): the `error`
       * event is being emitted; the close frame with the error's code
       * follows, then `closed`. Entered before `error`, so a listener's
       * `close()` returns false instead of sending another code first.
       */
      readonly by: 'failure';
    };

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
  | ClosingState
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
export const FAILING: ConnectionState = Object.freeze({ kind: 'closing', by: 'failure' });
