/**
 * A small typed event hub, free of `node:events`.
 *
 * Differences from Node's EventEmitter, each deliberate:
 * - an `error` event with no listener is simply dropped (the driver also
 *   reports it through `close`), it never throws;
 * - a listener that throws does not stop the driver mid-way: the driver
 *   finishes the work in hand, so its state stays consistent, and the first
 *   such exception is rethrown from the public call that was running
 *   (`parse()`, `start()`, …). Outside any call it is rethrown on a
 *   microtask, as DOM `EventTarget` reports listener errors.
 *
 * @module
 */

/** A listener for one event type. */
export type Listener<E> = (event: E) => void;

// One listener is stored as itself, more as an array made to size: an idle
// connection holds several event types with one listener each, and an
// array grown by push() reserves room for 16 (about 180 bytes apiece).
type Listeners<E> = Listener<E> | ReadonlyArray<Listener<E>>;
type ListenerTable<M> = { [K in keyof M]?: Listeners<M[K]> };

interface OnceWrapper<E> extends Listener<E> {
  readonly original: Listener<E>;
}

// A class rather than `{}`: V8 sizes its instances to the event types
// drivers actually get listeners for (an object literal has room for four
// in itself, and a fifth type costs it a separate property store).
class Table {}

/**
 * Event hub shared by a driver and the inner driver it may delegate to.
 * Listeners are called with the hub's owner (the driver the application
 * holds) as `this`, as Node's EventEmitter and the DOM's EventTarget do:
 * so one plain function can serve many drivers (the Node adapter's do).
 */
export class EventHub<M extends object> {
  readonly #owner: object | undefined;
  #listeners = new Table() as ListenerTable<M>;
  #depth = 0;
  #caught: unknown[] | null = null;

  constructor(owner?: object) {
    this.#owner = owner;
  }

  on<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    const current = this.#listeners[type];
    // Copy on write: an emit in progress keeps iterating its own snapshot.
    this.#listeners[type] =
      current === undefined ? listener : typeof current === 'function' ? [current, listener] : current.concat(listener);
  }

  once<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    const wrapper = ((event: M[K]) => {
      this.off(type, wrapper);
      listener.call(this.#owner, event);
    }) as OnceWrapper<M[K]>;
    (wrapper as { original: Listener<M[K]> }).original = listener;
    this.on(type, wrapper);
  }

  off<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    const current = this.#listeners[type];
    if (current === undefined) return;
    const matches = (l: Listener<M[K]>) => l === listener || (l as Partial<OnceWrapper<M[K]>>).original === listener;
    if (typeof current === 'function') {
      // Not `delete`: that would turn the table into a slow dictionary.
      if (matches(current)) this.#listeners[type] = undefined;
      return;
    }
    const index = current.findIndex(matches);
    if (index < 0) return;
    const next = current.slice();
    next.splice(index, 1);
    this.#listeners[type] = next.length === 1 ? next[0]! : next;
  }

  listenerCount<K extends keyof M>(type: K): number {
    const current = this.#listeners[type];
    return current === undefined ? 0 : typeof current === 'function' ? 1 : current.length;
  }

  emit<K extends keyof M>(type: K, event: M[K]): void {
    const current = this.#listeners[type];
    if (current === undefined) return;
    if (typeof current === 'function') {
      try {
        current.call(this.#owner, event);
      } catch (error) {
        this.#report(error);
      }
      return;
    }
    for (let i = 0; i < current.length; i++) {
      try {
        current[i]!.call(this.#owner, event);
      } catch (error) {
        this.#report(error);
      }
    }
  }

  /** Calls a user callback (a ping callback, say) under the listener policy. */
  call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * Runs `work` as one public call: listener exceptions raised inside are
   * held until the outermost call returns, then the first is rethrown.
   */
  run<T>(work: () => T): T {
    this.enter();
    try {
      return work();
    } finally {
      this.exit();
    }
  }

  /**
   * Begins a public call, as {@link run} does, without a closure: for the
   * hot paths (`parse()`, `text()`, `binary()`). Pair with {@link exit} in
   * a `finally` block.
   */
  enter(): void {
    this.#depth++;
  }

  /** Ends a call begun with {@link enter}; the outermost rethrows the first listener exception. */
  exit(): void {
    if (--this.#depth === 0 && this.#caught !== null) {
      const caught = this.#caught;
      this.#caught = null;
      // The driver is consistent again; hand the caller its own exception.
      throw caught[0];
    }
  }

  #report(error: unknown): void {
    if (this.#depth > 0) {
      (this.#caught ??= []).push(error);
    } else {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
