/**
 * Write coalescing for Node streams: the second and later writes to one
 * stream in the same tick are held (`cork()`) and handed over together
 * at the end of the tick (`uncork()`), which a `net.Socket` turns into one
 * `writev` system call instead of one `write` each.
 *
 * A broadcast issued several times from one read (a burst of messages,
 * each relayed to every client) otherwise costs one system call per
 * message per client; coalesced, it costs two per client. The first write
 * of a tick still goes out at once, so a connection that writes once per
 * tick (a reply to one request) waits for nothing and pays for a number
 * comparison.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { hold, noteWritten, release, unsentBytes } from './held-bytes.js';

/** Writes to one stream, coalescing those of a tick after the first. Subclassed rather than held: one object less per connection. */
export class CoalescingWriter {
  // Which tick this is: bumped at the end of every tick in which something was written.
  static #tick = 0;
  static #endScheduled = false;
  // Writers corked in this tick, uncorked at its end.
  static #corkedWriters: CoalescingWriter[] = [];

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
  #lastCorkTick = -1;
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
   * Writes `bytes`, corked if it is not the first write to the stream this
   * tick. Returns what `stream.write()` returns (false above its
   * high-water mark, corked bytes included: backpressure is unchanged).
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
   * Writes `bytes` at once, outside the tick's coalescing: a connection's
   * first write (the handshake's head), which nothing before it in the
   * tick can join. It does not count as the tick's first write, so a write
   * after it in the same tick goes out at once too, and no end of tick is
   * scheduled for it: every accept would otherwise cost a `nextTick`.
   */
  protected writeAlone(bytes: Uint8Array): boolean {
    const stream = this.#stream;
    const accepted = stream.write(bytes);
    noteWritten(stream, bytes.length);
    return accepted || unsentBytes(stream) < stream.writableHighWaterMark;
  }

  /** Notes a write to the uncorked stream: the first of a tick goes out at once, a later one corks it until the tick ends. */
  #coalesce(stream: Duplex): void {
    const tick = CoalescingWriter.#tick;
    if (this.#lastWriteTick !== tick) {
      this.#lastWriteTick = tick;
      if (!CoalescingWriter.#endScheduled) {
        CoalescingWriter.#endScheduled = true;
        // After the current callback and before any further I/O.
        process.nextTick(CoalescingWriter.#endTick);
      }
    } else if (this.#lastCorkTick !== tick) {
      // Corked once a tick at most: after an early uncork, later writes go straight to the stream.
      this.#lastCorkTick = tick;
      this.#corked = true;
      hold(stream);
      CoalescingWriter.#corkedWriters.push(this);
    }
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    // Of a stream ended or destroyed since, this does nothing harmful.
    release(this.#stream);
  }
}
