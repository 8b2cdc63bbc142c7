/**
 * The pong owed to a peer while the transport is backed up. Writing one
 * pong per ping would let a peer that floods pings and never reads grow
 * our outgoing buffer without bound; RFC 6455 §5.5.3 lets an endpoint
 * answer only the most recent ping, so at most one pong waits, the
 * latest, and input pauses until the transport drains. A peer that keeps
 * it up (pings answered late, one drain after another, without a single
 * ping answered at once) past a bound is failed (1008).
 *
 * @module
 */

/** Pings in a row a peer may have answered late (the transport backed up each time) before it is failed with `PING_FLOOD`. */
export const MAX_PINGS_WHILE_BACKED_UP = 256;

/** The latest ping's payload, to answer once the transport drains. */
export class PendingPong {
  #payload: Uint8Array | null = null;
  #pings = 0;

  /** True while a pong waits. */
  get waiting(): boolean {
    return this.#payload !== null;
  }

  /** Bytes the waiting pong's payload holds. */
  get size(): number {
    return this.#payload?.length ?? 0;
  }

  /**
   * Replaces the waiting pong with one for `payload` (copied: it may be a
   * view into input). False once the peer has gone past the bound.
   */
  defer(payload: Uint8Array): boolean {
    this.#payload = payload.slice();
    this.#pings++;
    return this.#pings <= MAX_PINGS_WHILE_BACKED_UP;
  }

  /** The waiting pong's payload, or null; nothing waits after. */
  take(): Uint8Array | null {
    const payload = this.#payload;
    this.#payload = null;
    return payload;
  }

  /** A ping was answered at once: the run of late answers is over. */
  answeredAtOnce(): void {
    this.#pings = 0;
  }
}
