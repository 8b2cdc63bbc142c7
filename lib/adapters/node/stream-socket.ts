/**
 * The driver's {@link Socket} for a Node stream: every byte the driver
 * produces is written to the stream, in order.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { unsentBytes } from './held-bytes.js';
import type { Socket, SocketInfo } from '../../events.js';
import { CoalescingWriter } from './tick-coalescer.js';
import { reportFlush } from './write-buffer.js';

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
  // Lets `writeBuffer(stream)` see every flush, not only Node's `drain`.
  readonly #flushed: () => void;

  constructor(stream: Duplex, init: SocketInfo) {
    super(stream);
    if (init.url !== undefined) this.url = init.url;
    if (init.env !== undefined) this.env = init.env;
    this.#flushed = () => reportFlush(stream);
  }

  // Node's return value is the socket contract's: false above the
  // stream's high-water mark, until its `drain` (attach reports it).
  write(bytes: Uint8Array): boolean {
    return this.stream.writable ? this.writeCoalesced(bytes, this.#flushed) : true;
  }

  get bufferedAmount(): number {
    return unsentBytes(this.stream);
  }
}
