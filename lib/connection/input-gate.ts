/**
 * The receiving half of flow control: while delivery is paused, input
 * given to `parse()` is held unread, up to a bound, and the transport is
 * asked to stop reading (docs/flow-control.md, "Receiving").
 *
 * Two parties may pause: the application (`pause()`/`resume()`) and the
 * driver itself while a pong waits for a backed-up transport. Input is
 * read again only when neither does.
 *
 * @module
 */
import { ByteAccumulator } from '../frame/byte-accumulator.js';

/**
 * Who asked for the pause; input flows when nobody does. A const enum, as
 * `Opcode`: bundlers put the numbers in place of the names.
 */
export const enum PauseReason {
  /** `driver.pause()`. */
  APPLICATION = 1,
  /** A pong waits for the transport to drain (RFC 6455 §5.5.3). */
  PENDING_PONG = 2,
  /** A piece of a compressed message is being inflated: the next waits for it. */
  INFLATING = 4,
}

/** Paused or not, and the input held meanwhile. */
export class InputGate {
  #reasons = 0;
  // Made on the first chunk held.
  #held: ByteAccumulator | null = null;
  readonly #maxHeldBytes: number;

  constructor(maxHeldBytes: number) {
    this.#maxHeldBytes = maxHeldBytes;
  }

  /** True while anyone holds a pause. */
  get paused(): boolean {
    return this.#reasons !== 0;
  }

  /** Memory held by input kept while paused. */
  get retainedBytes(): number {
    return this.#held?.retainedBytes ?? 0;
  }

  /** True while `reason` (one of {@link PauseReason}) holds a pause. */
  pausedBy(reason: number): boolean {
    return (this.#reasons & reason) !== 0;
  }

  /** Adds a reason to pause; true if input was flowing until now. */
  pause(reason: number): boolean {
    const was = this.#reasons;
    this.#reasons |= reason;
    return was === 0;
  }

  /** Removes a reason; true if input may flow again now. */
  resume(reason: number): boolean {
    if ((this.#reasons & reason) === 0) return false;
    this.#reasons &= ~reason;
    return this.#reasons === 0;
  }

  /**
   * Keeps `chunk` (owned by the driver, kept as a view where cheap) to be
   * read on resume. False, keeping nothing, if it would take the held
   * input past the bound.
   */
  hold(chunk: Uint8Array): boolean {
    const held = (this.#held ??= new ByteAccumulator());
    if (held.length + chunk.length > this.#maxHeldBytes) return false;
    held.append(chunk);
    return true;
  }

  /** The input held, as one array, or null; the gate holds nothing after. */
  take(): Uint8Array | null {
    const held = this.#held;
    if (held === null || held.length === 0) return null;
    this.#held = null;
    return held.take();
  }

  /** Drops what is held (the connection is over). */
  clear(): void {
    this.#held = null;
  }
}
