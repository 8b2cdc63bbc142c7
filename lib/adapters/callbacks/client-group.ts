/**
 * `ClientGroup`: the connections a server has bound, so that a shutdown
 * reaches all of them, as a `rack.upgrade` server calls `on_shutdown` on
 * every connection before it goes away, and a broadcast reaches every one
 * with the message encoded once.
 *
 * @module
 */
import { CloseCode } from '../../errors.js';
import { PreparedMessage } from '../../frame/prepared-message.js';
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
 * What {@link ClientGroup.broadcast} does with a slow client, one whose
 * transport holds more than `maxPending` bytes not yet flushed:
 * - `'skip'`: the message is dropped for that client, which stays open
 *   (for state that the next message supersedes: positions, prices);
 * - `'close'`: the client is closed with 1008 (Policy Violation), the
 *   close frame after what it already holds (for streams where a gap is
 *   worse than a reconnect);
 * - `'queue'`: the message is sent anyway and the transport's buffer grows
 *   (for messages that must not be lost, with the application watching
 *   `client.pending()` itself).
 */
export type SlowClientPolicy = 'skip' | 'close' | 'queue';

/** Options of {@link ClientGroup.broadcast}. */
export interface BroadcastOptions {
  /**
   * Bytes a client's transport may hold unflushed before the client counts
   * as slow (`client.pending()`; a client bound without a write buffer is
   * never slow). Default 1 MiB: about a second of a busy feed to a peer
   * on a slow mobile link.
   */
  maxPending?: number;
  /** What a slow client gets; default `'skip'`. See {@link SlowClientPolicy}. */
  slowClient?: SlowClientPolicy;
  /** A client left out: the one whose message is being relayed, say. */
  except?: Client;
}

/** What a {@link ClientGroup.broadcast} did, client by client, counted. */
export interface BroadcastResult {
  /** Clients the message was written to. */
  readonly sent: number;
  /** Slow clients that did not get it (`'skip'`). */
  readonly skipped: number;
  /** Slow clients closed with 1008 (`'close'`). */
  readonly closed: number;
}

/** Default {@link BroadcastOptions.maxPending}. */
export const DEFAULT_MAX_PENDING = 1024 * 1024;
const POLICIES: readonly SlowClientPolicy[] = ['skip', 'close', 'queue'];

/** How {@link broadcastTo} acts on one kind of connection. */
export interface BroadcastTarget<T> {
  /** Bytes written and not yet flushed (0 when unknown). */
  pending(connection: T): number;
  /** Sends the message; false if it could not be sent. */
  write(connection: T, message: PreparedMessage): boolean;
  /** Closes a slow connection with 1008. */
  close(connection: T): void;
}

/**
 * The broadcast loop of {@link ClientGroup.broadcast} and the Node
 * server's: `data` prepared once (unless it is already), then each of
 * `connections` (open ones, chosen by the caller) written to or, if slow,
 * handled as `options.slowClient` says. Throws on bad data or options.
 */
export function broadcastTo<T>(
  connections: Iterable<T>,
  data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage,
  options: Omit<BroadcastOptions, 'except'>,
  target: BroadcastTarget<T>,
): BroadcastResult {
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  if (typeof maxPending !== 'number' || !(maxPending >= 0)) throw new RangeError("option 'maxPending' must be a number of bytes, 0 or more");
  const policy = options.slowClient ?? 'skip';
  if (!POLICIES.includes(policy)) throw new RangeError(`option 'slowClient' must be one of ${POLICIES.join(', ')}`);
  const message = data instanceof PreparedMessage ? data : new PreparedMessage(data);
  let sent = 0;
  let skipped = 0;
  let closed = 0;
  for (const connection of connections) {
    if (policy !== 'queue' && target.pending(connection) > maxPending) {
      if (policy === 'skip') {
        skipped++;
      } else {
        target.close(connection);
        closed++;
      }
      continue;
    }
    if (target.write(connection, message)) sent++;
  }
  return { sent, skipped, closed };
}

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
   * Sends `data` to every open client in the group, encoded once: a string
   * as text, bytes as binary, or a {@link PreparedMessage} made earlier.
   * Every RFC 6455 server connection with no extension active writes the
   * same frame; the others (permessage-deflate, a client, a draft) send it
   * their usual way. Clients still in their handshake, closing or closed
   * are passed over; a slow one is handled as `options.slowClient` says.
   *
   * Throws a TypeError on data that is not a string, bytes or a
   * PreparedMessage, a RangeError on a bad option.
   */
  broadcast(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | PreparedMessage, options: BroadcastOptions = {}): BroadcastResult {
    const members = [...this.#members].filter((member) => member !== options.except && member.isOpen());
    return broadcastTo(members, data, options, {
      pending: (member) => member.pending(),
      write: (member, message) => member.write(message),
      close: (member) => member.close(CloseCode.POLICY_VIOLATION, 'too slow'),
    });
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
