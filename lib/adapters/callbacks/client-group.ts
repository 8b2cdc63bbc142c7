/**
 * `ClientGroup`: the connections a server has bound, so that a shutdown
 * reaches all of them, as a `rack.upgrade` server calls `on_shutdown` on
 * every connection before it goes away.
 *
 * @module
 */
import { CloseCode } from '../../errors.js';
import {
  BoundClient,
  checkShutdownArguments,
  type BindableDriver,
  type Binding,
  type Client,
  type Handler,
} from './bind-handler.js';
import type { WriteBuffer } from './write-buffer.js';

/**
 * A set of bound connections. Each leaves the group when its driver
 * closes; {@link ClientGroup.shutdown} tells every one still in it.
 *
 * ```ts
 * const clients = new ClientGroup();
 * // for each connection: clients.bind(driver, handler, writeBuffer(tcp));
 * // on SIGTERM:          await clients.shutdown();
 * ```
 */
export class ClientGroup implements Iterable<Client> {
  readonly #members = new Set<BoundClient<BindableDriver>>();
  #shutdown: { readonly code: number; readonly reason: string } | null = null;
  #waiting: Array<() => void> = [];

  /**
   * Binds `handler` to `driver` as {@link bindHandler} does, and keeps
   * the connection in the group until it closes. Once the group has been
   * shut down, a connection bound to it is shut down as soon as it opens.
   */
  bind<D extends BindableDriver>(driver: D, handler: Handler<D>, buffer?: WriteBuffer): Binding<D> {
    // onOpen may close the connection before the constructor returns (a
    // hixie-75 driver closes at once), so the member may finish unlisted.
    let listed: BoundClient<D> | null = null;
    const member = new BoundClient(driver, handler, buffer, () => {
      if (listed !== null) this.#leave(listed);
    });
    if (member.finished) return member.binding;
    listed = member;
    this.#members.add(member);
    if (this.#shutdown !== null) member.binding.shutdown(this.#shutdown.code, this.#shutdown.reason);
    return member.binding;
  }

  /** Connections in the group: bound, and not yet closed. */
  get size(): number {
    return this.#members.size;
  }

  /** The clients of the connections in the group. */
  *[Symbol.iterator](): Iterator<Client> {
    // A snapshot: a client may close, and leave, while the caller iterates.
    yield* [...this.#members];
  }

  /**
   * Shuts every connection down: `onShutdown` for each open one, then a
   * close with `code` (default 1001 Going Away) and `reason`; connections
   * still in their handshake, or bound later, are shut down as soon as
   * they open. The promise settles when every connection has closed and
   * run `onClose` (or failed its handshake); a peer that never answers
   * the close frame, or never finishes its handshake, keeps it waiting,
   * so race it with a timer if the transport has no timeout of its own.
   *
   * Throws a RangeError on a code that may not be sent or a reason over
   * 123 bytes. If an `onShutdown` throws, the others still run and every
   * connection is still closed; the first exception is then rethrown.
   */
  shutdown(code: number = CloseCode.GOING_AWAY, reason = ''): Promise<void> {
    checkShutdownArguments(code, reason);
    this.#shutdown ??= { code, reason };
    const done = this.#members.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#waiting.push(resolve));
    let failure: { error: unknown } | null = null;
    for (const member of [...this.#members]) {
      try {
        member.binding.shutdown(code, reason);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== null) throw failure.error;
    return done;
  }

  #leave(member: BoundClient<BindableDriver>): void {
    if (!this.#members.delete(member) || this.#members.size > 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}
