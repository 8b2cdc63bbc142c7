/**
 * Write coalescing for Node streams: writes to a stream are held
 * (`cork()`) and handed over together at the end of the tick (`uncork()`),
 * which a `net.Socket` turns into one `writev` system call instead of one
 * `write` each. Held are a stream's second and later writes in a tick, and
 * every write to a stream that is not the first stream written in the tick.
 *
 * The first stream written in a tick has its first write go out at once: a
 * connection answering a request, or written once per tick, waits for
 * nothing and pays for a number comparison. A tick that writes to several
 * streams is a fan-out (a broadcast): there a stream's first write waits
 * for the tick's end with the rest, so k broadcasts issued from one read
 * cost one system call per client, not k (or two). That also keeps a burst
 * together on the wire: the broadcasts that left together are received
 * together, and the triggers they prompt arrive together, where a first
 * write sent on its own would split every burst in two and, turn after
 * turn, leave one system call per message (bench/analysis.md, "Broadcast,
 * session 8"). A held write waits until the code that issued it returns to
 * the event loop, the time the rest of the broadcast loop takes.
 *
 * At most HOLD_LIMIT bytes are held: past it the stream is uncorked at
 * once, and corked again for the tick's later writes.
 *
 * A connection's first write (the handshake's head, `writeAlone`) takes
 * no part in this: it goes out at once and schedules no end of tick.
 *
 * A process that exits in the tick that wrote (`process.exit()` after a
 * broadcast or `wss.close()`) never reaches the tick's end: an `exit`
 * listener, added once when the first end of tick is scheduled, runs it
 * then, so the held bytes are handed to the kernel (libuv writes them at
 * once) and still reach the peers. `destroy()` of a stream in the tick
 * that wrote to it discards what the cork holds, as Node documents for
 * corked writes: end a connection with `end()` or `terminate(driver)`.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { hold, noteWritten, readSentAtOnce, release, unsentBytes } from './held-bytes.js';

/** Writes to one stream, coalescing those of a tick (see the module comment). Subclassed rather than held: one object less per connection. */
export class CoalescingWriter {
  // Which tick this is: bumped at the end of every tick in which something was written.
  static #tick = 0;
  static #endScheduled = false;
  // Writers corked in this tick, uncorked at its end.
  static #corkedWriters: CoalescingWriter[] = [];
  // Whether the `exit` listener that ends a pending tick is registered.
  static #exitHandled = false;

  /** Schedules the tick's end: after the current callback, before any further I/O; or when the process exits first. */
  static #scheduleEnd(): void {
    CoalescingWriter.#endScheduled = true;
    process.nextTick(CoalescingWriter.#endTick);
    if (CoalescingWriter.#exitHandled) return;
    CoalescingWriter.#exitHandled = true;
    process.on('exit', CoalescingWriter.#endPendingTick);
  }

  /** At exit: a tick's end that has not run hands on what it holds now, or never. */
  static #endPendingTick(): void {
    if (CoalescingWriter.#endScheduled) CoalescingWriter.#endTick();
  }

  static #endTick(): void {
    CoalescingWriter.#tick++;
    CoalescingWriter.#endScheduled = false;
    const writers = CoalescingWriter.#corkedWriters;
    CoalescingWriter.#corkedWriters = [];
    // One stream's fault must not leave the others corked.
    for (const writer of writers) {
      try {
        writer.#uncork();
      } catch {
        // Reported by the stream itself (its 'error'); nothing to add here.
      }
    }
  }

  readonly #stream: Duplex;
  #lastWriteTick = -1;
  // Corked by us and not yet uncorked.
  #corked = false;

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  /** The stream written to. */
  protected get stream(): Duplex {
    return this.#stream;
  }

  /**
   * Writes `bytes`, held to the end of the tick unless it is the first
   * write of the tick's first stream. Returns what `stream.write()`
   * returns (false above its high-water mark, corked bytes included:
   * backpressure is unchanged).
   */
  protected writeCoalesced(bytes: Uint8Array, callback: (() => void) | undefined): boolean {
    const stream = this.#stream;
    // A corked stream holds this write anyway (attach corks it while the
    // driver handles a read: an echo, a reply): no tick to track then.
    if (stream.writableCorked === 0) this.#coalesce(stream);
    const accepted = stream.write(bytes, callback);
    // Past HOLD_LIMIT this uncorks the stream at once.
    noteWritten(stream, bytes.length);
    // Node answers false above the high-water mark, held bytes included;
    // the contract's answer is about what the transport has not taken.
    return accepted || unsentBytes(stream) < stream.writableHighWaterMark;
  }

  /**
   * Whether a stream has been written in this tick under the coalescing
   * rules: a fan-out may be under way, so a read's first write waits with
   * the rest instead of going at once (held-bytes.ts, `firstWriteOfRead`).
   */
  protected static tickWritten(): boolean {
    return CoalescingWriter.#endScheduled;
  }

  /**
   * Writes `bytes` at once, outside the tick's coalescing: a connection's
   * first write (the handshake's head), which nothing of its own can join.
   * It is not held and is not counted as a write of the tick, so no end of
   * tick is scheduled for it: every accept would otherwise cost a
   * `nextTick`. A later write in the same tick is coalesced as any other.
   */
  protected writeAlone(bytes: Uint8Array, callback?: () => void): boolean {
    const stream = this.#stream;
    const accepted = stream.write(bytes, callback);
    noteWritten(stream, bytes.length);
    return accepted || unsentBytes(stream) < stream.writableHighWaterMark;
  }

  /**
   * Notes a write to the uncorked stream: the first stream written in a
   * tick has its write go out at once; a later write to it, or any write to
   * another stream in the same tick (a fan-out: a broadcast), corks the
   * stream until the tick ends.
   */
  #coalesce(stream: Duplex): void {
    const tick = CoalescingWriter.#tick;
    if (this.#lastWriteTick !== tick) {
      this.#lastWriteTick = tick;
      if (!CoalescingWriter.#endScheduled) {
        CoalescingWriter.#scheduleEnd();
        // The tick's first stream, unless a read's first write went out at
        // once (held-bytes.ts): one write at once per tick, not one of each kind.
        if (!readSentAtOnce()) return;
      }
    }
    // Held to the tick's end. Corked again after an early uncork (past
    // HOLD_LIMIT), so a long burst leaves 64 KiB per writev, not a write each.
    hold(stream);
    // Listed once a tick, however often corked.
    if (this.#corked) return;
    this.#corked = true;
    CoalescingWriter.#corkedWriters.push(this);
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    // Of a stream ended or destroyed since, this does nothing harmful.
    release(this.#stream);
  }
}
