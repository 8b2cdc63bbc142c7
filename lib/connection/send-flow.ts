/**
 * The sending half of flow control: what the transport has not yet
 * accepted, whether a new message may be added to it, and when to tell
 * the application it may send again (docs/flow-control.md, "The socket
 * contract").
 *
 * Every byte a driver writes goes through {@link SendFlow.write}, which
 * passes it to the application's socket and notes a `false` return.
 *
 * @module
 */
import { SLICES_COUNTED } from '../frame/send-slab.js';
import type { Socket } from '../events.js';

/** The application's socket, wrapped so the driver can see backpressure. */
export class SendFlow implements Socket {
  readonly #socket: Socket;
  readonly #maxBufferedBytes: number;
  // A write returned false and the transport has not drained since.
  #backedUp = false;
  // A send was refused (or a pong deferred) since the last drain: the
  // application or the driver waits for `drain`.
  #waiting = false;
  /** Bytes the driver holds to send itself (pipeline, a pending pong), counted by the driver. */
  heldBytes = 0;

  constructor(socket: Socket, maxBufferedBytes: number) {
    this.#socket = socket;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Whether the transport counts slab slices back itself (send-slab.ts). */
  get [SLICES_COUNTED](): boolean {
    return (this.#socket as { [SLICES_COUNTED]?: boolean })[SLICES_COUNTED] === true;
  }

  /** See {@link Socket.wholeFrames}. */
  get wholeFrames(): boolean {
    return this.#socket.wholeFrames === true;
  }

  /** Hands `bytes` to the transport; returns the transport's own answer (false: backed up). */
  write(bytes: Uint8Array): boolean {
    const accepted = this.#socket.write(bytes) !== false;
    if (!accepted) this.#backedUp = true;
    return accepted;
  }

  /** True from a `false` write until the transport reports it drained. */
  get backedUp(): boolean {
    return this.#backedUp;
  }

  /** What the transport holds (if it says) plus what the driver holds. */
  get bufferedAmount(): number {
    const transport = this.#socket.bufferedAmount;
    return (typeof transport === 'number' && transport > 0 ? transport : 0) + this.heldBytes;
  }

  /**
   * Whether a message of `size` bytes may be sent now: it must not take
   * the buffer past `maxBufferedBytes`, unless the buffer is empty (so a
   * message larger than the bound can still go out on an idle
   * connection). A refusal is remembered, so `drain` follows.
   */
  admits(size: number): boolean {
    const buffered = this.bufferedAmount;
    if (buffered === 0 || buffered + size <= this.#maxBufferedBytes) return true;
    this.#waiting = true;
    return false;
  }

  /** Something waits for the transport to drain (a deferred pong). */
  wait(): void {
    this.#waiting = true;
  }

  /** True if a drain of the transport has work to do: a write returned false, or something waits. */
  get awaitsDrain(): boolean {
    return this.#backedUp || this.#waiting;
  }

  /**
   * The transport reports it drained. True if `drain` should be emitted:
   * a write had returned false, or something waited, since the last one.
   */
  drained(): boolean {
    const emit = this.#backedUp || this.#waiting;
    this.#backedUp = false;
    this.#waiting = false;
    return emit;
  }
}
