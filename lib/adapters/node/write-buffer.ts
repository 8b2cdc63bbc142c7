/**
 * A Node stream's outgoing buffer as a {@link WriteBuffer}, for the
 * callback adapter (`wsdriver/callbacks`): `client.pending()` and
 * `onDrained` follow what the stream has not yet handed to the kernel.
 *
 * Node emits `drain` only when a buffer that went over `highWaterMark`
 * empties, which misses a buffer that never got that big; so
 * `streamSocket` asks for a callback on each write and reports it here.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { unsentBytes } from './held-bytes.js';
import type { WriteBuffer } from '../callbacks/write-buffer.js';
import { flushedAttached } from './attachment.js';

const flushListeners = new WeakMap<Duplex, Set<() => void>>();
// Flush listeners registered and not removed, on all streams: while there
// are none (a server without bound handlers), a flush looks nothing up.
let listenerCount = 0;

/** Called by `streamSocket` when one of its writes to `stream` has been flushed. */
export function reportFlush(stream: Duplex): void {
  flushedAttached(stream);
  if (listenerCount === 0) return;
  const listeners = flushListeners.get(stream);
  if (listeners === undefined) return;
  // Called for every write: no copy for the usual single listener.
  if (listeners.size === 1) {
    for (const listener of listeners) listener();
    return;
  }
  for (const listener of [...listeners]) listener();
}

/** Whether anything listens for the flushes of `stream` (then every write of it passes a callback). */
export function hasFlushListeners(stream: Duplex): boolean {
  if (listenerCount === 0) return false;
  const listeners = flushListeners.get(stream);
  return listeners !== undefined && listeners.size > 0;
}

/**
 * The outgoing buffer of `stream` (a `net.Socket`, `tls.TLSSocket` or any
 * `Duplex`), to pass to `bindHandler` or `ClientGroup.bind`. `pending()`
 * is `stream.writableLength`, less what the adapter holds corked for the
 * rest of the tick (held-bytes.ts). Flushes are seen for what the driver writes
 * through `streamSocket` (as `attach` and `handleUpgrade` set up),
 * and for other writes when Node emits `drain`.
 */
export function writeBuffer(stream: Duplex): WriteBuffer {
  return new StreamWriteBuffer(stream);
}

// A class, so a server's many connections share the methods.
class StreamWriteBuffer implements WriteBuffer {
  readonly #stream: Duplex;

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  pending(): number {
    return unsentBytes(this.#stream);
  }

  onFlush(listener: () => void): () => void {
    const stream = this.#stream;
    // Wrapped, so the same function can be registered twice and removed once each.
    const onFlush = () => listener();
    let listeners = flushListeners.get(stream);
    if (listeners === undefined) flushListeners.set(stream, (listeners = new Set()));
    listeners.add(onFlush);
    listenerCount++;
    stream.on('drain', onFlush);
    return () => {
      if (listeners.delete(onFlush)) listenerCount--;
      stream.off('drain', onFlush);
    };
  }
}
