/**
 * Deadlines without timers (docs/flow-control.md, "Deadlines"): the core
 * reads no clock, so the caller passes the time in. `DeadlineClock` says
 * when it next needs to be told the time (`next`) and, told it
 * (`advance(now)`), which deadline has passed. The driver acts on it.
 *
 * A deadline that starts with an event (the connection opened, the
 * closing handshake began) starts at the first `advance()` after it; until
 * then `next` is the last time seen, asking for a tick at once.
 *
 * The settings come in through `deadlineKeeper(settings)`, a function of
 * its own, so an application that never uses deadlines leaves this module
 * out of its bundle (the driver only calls what the keeper holds).
 *
 * @module
 */

/** Durations in milliseconds; 0 turns one off. */
export interface DeadlineSettings {
  /** The opening handshake must complete within this. Default 0 (off). */
  handshakeTimeout?: number;
  /** Send a ping when nothing was received for an interval. Default 0 (off). */
  pingInterval?: number;
  /** The ping's pong must arrive within this, or the connection fails with 1011. Default `pingInterval`. */
  pingTimeout?: number;
  /** The closing handshake must finish within this, or the connection is dropped (1006). Default 0 (off). */
  closeTimeout?: number;
}

/** Which deadline passed. */
export type DeadlineExpiry = 'handshake' | 'ping' | 'pong' | 'close';

/** Checks settings; throws a RangeError on a negative or non-finite duration. */
export function checkDeadlineSettings(settings: DeadlineSettings): Required<DeadlineSettings> {
  if (settings === null || typeof settings !== 'object') throw new TypeError('deadline settings must be an object');
  const duration = (key: keyof DeadlineSettings, fallback: number): number => {
    const value = settings[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`'${key}' must be a finite number of milliseconds, 0 or more`);
    }
    return value;
  };
  const pingInterval = duration('pingInterval', 0);
  return {
    handshakeTimeout: duration('handshakeTimeout', 0),
    pingInterval,
    pingTimeout: duration('pingTimeout', pingInterval),
    closeTimeout: duration('closeTimeout', 0),
  };
}

/** Checked deadline settings for `driver.useDeadlines()`; made by {@link deadlineKeeper}. */
export interface DeadlineKeeper {
  /**
   * The deadlines of one connection, counted from `now`.
   *
   * @internal
   */
  readonly start: (now: number) => DeadlineClock;
}

/**
 * Deadlines for `driver.useDeadlines(keeper, now)`: the opening handshake,
 * keepalive pings and their pongs, the closing handshake, each a duration
 * in `settings` (0 for off). Throws a RangeError on a negative or
 * non-finite duration. One keeper serves any number of drivers.
 */
export function deadlineKeeper(settings: DeadlineSettings): DeadlineKeeper {
  const checked = checkDeadlineSettings(settings);
  return { start: (now) => new DeadlineClock(checked, now) };
}

const PENDING = -1;

/** The deadlines of one connection; see the module comment. */
export class DeadlineClock {
  readonly #settings: Required<DeadlineSettings>;
  #now: number;
  // Absolute times, null when not running, PENDING when starting at the next advance().
  #handshakeAt: number | null = null;
  #pingAt: number | null = null;
  #pongAt: number | null = null;
  #closeAt: number | null = null;
  // Input arrived since the last keepalive check.
  #heard = false;

  constructor(settings: Required<DeadlineSettings>, now: number) {
    this.#settings = settings;
    this.#now = now;
    if (settings.handshakeTimeout > 0) this.#handshakeAt = now + settings.handshakeTimeout;
  }

  /** When `advance()` must next be called, or null if nothing runs. */
  get next(): number | null {
    let next: number | null = null;
    for (const at of [this.#handshakeAt, this.#pingAt, this.#pongAt, this.#closeAt]) {
      if (at === null) continue;
      const when = at === PENDING ? this.#now : at;
      if (next === null || when < next) next = when;
    }
    return next;
  }

  /** Input arrived: the peer is alive, no keepalive ping is needed this interval. */
  heard(): void {
    this.#heard = true;
  }

  /** The handshake completed: keepalive starts. */
  opened(): void {
    this.#handshakeAt = null;
    this.#heard = false;
    if (this.#settings.pingInterval > 0) this.#pingAt = PENDING;
  }

  /** Once open, no deadline can run again: no keepalive, no close deadline. */
  get doneAtOpen(): boolean {
    return this.#settings.pingInterval === 0 && this.#settings.closeTimeout === 0;
  }

  /** The closing handshake began: keepalive stops, the close deadline starts. */
  closing(): void {
    this.#handshakeAt = null;
    this.#pingAt = null;
    this.#pongAt = null;
    if (this.#settings.closeTimeout > 0 && this.#closeAt === null) this.#closeAt = PENDING;
  }

  /**
   * The keepalive ping `advance()` asked for was not sent: the connection
   * has no pings (a hixie draft). Keepalive stops, and the pong deadline
   * that ping armed is dropped; other deadlines (closing) still run.
   */
  stopKeepalive(): void {
    this.#pingAt = null;
    this.#pongAt = null;
  }

  /** A pong arrived: the ping it may answer is no longer late. */
  pongReceived(): void {
    this.#pongAt = null;
  }

  /** The connection is over: nothing runs. */
  stop(): void {
    this.#handshakeAt = this.#pingAt = this.#pongAt = this.#closeAt = null;
  }

  /**
   * Moves to `now` and returns one deadline that has passed, or null. Call
   * again until it returns null: several may have passed.
   */
  advance(now: number): DeadlineExpiry | null {
    if (now > this.#now) this.#now = now;
    now = this.#now;
    const settings = this.#settings;
    if (this.#pingAt === PENDING) this.#pingAt = now + settings.pingInterval;
    if (this.#closeAt === PENDING) this.#closeAt = now + settings.closeTimeout;
    if (this.#handshakeAt !== null && now >= this.#handshakeAt) {
      this.#handshakeAt = null;
      return 'handshake';
    }
    if (this.#closeAt !== null && now >= this.#closeAt) {
      this.#closeAt = null;
      return 'close';
    }
    if (this.#pongAt !== null && now >= this.#pongAt) {
      this.stop();
      return 'pong';
    }
    if (this.#pingAt !== null && now >= this.#pingAt) {
      this.#pingAt = now + settings.pingInterval;
      const heard = this.#heard;
      this.#heard = false;
      // A ping still waiting for its pong is not repeated. The pong
      // deadline is armed before the ping is sent: a synchronous transport
      // may bring the pong back from inside the write.
      if (heard || this.#pongAt !== null) return null;
      if (settings.pingTimeout > 0) this.#pongAt = now + settings.pingTimeout;
      return 'ping';
    }
    return null;
  }
}
