/**
 * The driver's {@link Socket} for a Node stream: every byte the driver
 * produces is written to the stream, in order.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { corkAgain, firstWriteOfRead, flushUnreported, unsentBytes } from './held-bytes.js';
import type { Socket, SocketInfo } from '../../events.js';
import { CoalescingWriter } from './tick-coalescer.js';
import { hasFlushListeners, reportFlush } from './write-buffer.js';
import { SLICES_COUNTED } from '../../frame/send-slab.js';
import { releasesWrittenBytes, type SlabRecord, slabOf, sliceReleased } from './slab-reuse.js';

const NO_BYTES = new Uint8Array(0);

/**
 * Makes the `Socket` a driver writes to from a Node stream (`net.Socket`,
 * `tls.TLSSocket` or any `Duplex`). Writes after the stream has ended or
 * been destroyed are dropped: the connection is over and the driver has
 * nothing left to say that the peer could read. Writes after the first in
 * one tick reach the stream together at the end of the tick (one
 * `writev`: see tick-coalescer.ts).
 */
export function streamSocket(stream: Duplex, init: SocketInfo = {}): Socket {
  return new StreamSocket(stream, init);
}

// A class, so every connection shares `write` and `bufferedAmount` (a
// server holds many idle connections). `url` and `env` are own fields only
// when given (`declare`: no field is defined for them otherwise).
class StreamSocket extends CoalescingWriter implements Socket {
  declare url?: string | URL;
  declare env?: unknown;
  // The callback every write passes, so `writeBuffer(stream)` and the
  // attachment see every flush, not only Node's `drain`. A closure (Node
  // calls it with nothing that names the stream), so it costs about 100
  // bytes: undefined until the first write, which is the handshake's head,
  // and null once that write (and any sent with it) has flushed. An idle
  // connection then holds none; the one made on the next write is kept
  // for the connection's life.
  #flushed: (() => void) | null | undefined = undefined;
  // Whether the stream lets go of written bytes when it calls back, so
  // frames built in a send slab are counted back to it (slab-reuse.ts).
  #countsSlices: boolean;

  constructor(stream: Duplex, init: SocketInfo) {
    super(stream);
    this.#countsSlices = releasesWrittenBytes(stream);
    if (init.url !== undefined) this.url = init.url;
    if (init.env !== undefined) this.env = init.env;
  }

  // Node's return value is the socket contract's: false above the
  // stream's high-water mark, until its `drain` (attach reports it).
  write(bytes: Uint8Array): boolean {
    const stream = this.stream;
    if (!stream.writable) return true;
    const slab = this.#countsSlices ? slabOf(bytes) : undefined;
    // A read's first write goes at once only as the tick's first (a broadcast's other sockets are held).
    if (this.#countsSlices && this.#flushed !== undefined && !CoalescingWriter.tickWritten() && firstWriteOfRead(stream, bytes.length)) return this.#writeFirstOfRead(stream, bytes, slab);
    let flushed = this.#flushed;
    if (flushed === undefined) {
      this.#flushed = null;
      if (this.#countsSlices && slab === undefined) {
        // The first write (the handshake's head) to a TCP socket (or a
        // pipe: #countsSlices tells one) goes without a callback: Node
        // hands it to the kernel at once, so there is no flush to report,
        // and a write callback costs Node a tick and an object on every
        // accept. Should some of it be left unsent, the reporter is queued
        // behind it as an empty write (nothing goes out for it), which Node
        // calls back once all before it has gone. Any other stream (TLS,
        // which takes a write later; a Duplex of the application's, which
        // an extra empty write might surprise) is told with the write.
        // Not coalesced, on any stream: nothing precedes it, and a tick's
        // end scheduled for it would cost every accept a nextTick.
        const accepted = this.writeAlone(bytes);
        if (stream.writableLength > 0 && !stream.destroyed) stream.write(NO_BYTES, (this.#flushed = flushReporter(stream, this)));
        return accepted;
      }
      flushed = this.#flushed = flushReporter(stream, this);
      return this.writeAlone(bytes, slab !== undefined ? releasing(flushed, slab) : flushed);
    } else if (flushed === null) {
      flushed = this.#flushed = flushReporter(stream, null);
    }
    const callback = slab !== undefined ? releasing(flushed, slab) : flushed;
    return this.writeCoalesced(bytes, callback);
  }

  /**
   * A read's first write to a TCP socket (or a pipe) with nothing buffered
   * (held-bytes.ts): one plain `write()`. Without a callback where nobody
   * listens for this stream's flushes: a write with one costs Node an
   * object and a tick even when the kernel takes it at once, and then
   * there is no flush to wait for. The bytes are the kernel's, so a slab's
   * slice is counted back here, and the read's end reports the flush
   * (`releaseRead`). Should some of it be left unsent, the reporter (and
   * the slab's count) is queued behind it as an empty write, which Node
   * calls back once all before it has gone: `bufferedAmount`, `drain`,
   * `onDrained` and slab reuse see this write's flush as they would see
   * any other's.
   */
  #writeFirstOfRead(stream: Duplex, bytes: Uint8Array, slab: SlabRecord | undefined): boolean {
    let accepted: boolean;
    if (hasFlushListeners(stream)) {
      accepted = stream.write(bytes, this.#callback(slab));
    } else {
      accepted = stream.write(bytes);
      if (stream.writableLength === 0) {
        if (slab !== undefined) sliceReleased(slab);
        flushUnreported(stream);
      } else if (!stream.destroyed) {
        stream.write(NO_BYTES, this.#callback(slab));
      }
    }
    corkAgain(stream);
    return accepted || unsentBytes(stream) < stream.writableHighWaterMark;
  }

  /** A write callback that reports the flush, and counts a slab's slice back. */
  #callback(slab: SlabRecord | undefined): () => void {
    const flushed = (this.#flushed ??= flushReporter(this.stream, null));
    return slab !== undefined ? releasing(flushed, slab) : flushed;
  }

  /** The first writes' reporter, once they have all flushed: let go of it. */
  static dropFirstReporter(socket: StreamSocket, reporter: () => void): void {
    if (socket.#flushed === reporter && unsentBytes(socket.stream) === 0) socket.#flushed = null;
  }

  get bufferedAmount(): number {
    return unsentBytes(this.stream);
  }

  /** Whether this socket counts slab slices back (send-slab.ts): a getter, so every StreamSocket has one shape. */
  get [SLICES_COUNTED](): boolean {
    return this.#countsSlices;
  }
}

/**
 * The write callback of one stream. With `first`, the reporter of the
 * first writes, which lets `first` drop it once they have flushed.
 */
function flushReporter(stream: Duplex, first: StreamSocket | null): () => void {
  if (first === null) return () => reportFlush(stream);
  const reporter = (): void => {
    reportFlush(stream);
    StreamSocket.dropFirstReporter(first, reporter);
  };
  return reporter;
}

/** The callback of a write of a slab's slice: reports the flush, then counts the slice back to its slab. */
function releasing(flushed: () => void, slab: SlabRecord): () => void {
  return () => {
    flushed();
    sliceReleased(slab);
  };
}
