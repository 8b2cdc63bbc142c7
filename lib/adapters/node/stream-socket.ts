/**
 * The driver's {@link Socket} for a Node stream: every byte the driver
 * produces is written to the stream, in order.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Socket, SocketInfo } from '../../events.js';
import { reportFlush } from './write-buffer.js';

/**
 * Makes the `Socket` a driver writes to from a Node stream (`net.Socket`,
 * `tls.TLSSocket` or any `Duplex`). Writes after the stream has ended or
 * been destroyed are dropped: the connection is over and the driver has
 * nothing left to say that the peer could read.
 */
export function streamSocket(stream: Duplex, init: SocketInfo = {}): Socket {
  // Lets `writeBuffer(stream)` see every flush, not only Node's `drain`.
  const flushed = () => reportFlush(stream);
  const socket: Socket = {
    // Node's return value is the socket contract's: false above the
    // stream's high-water mark, until its `drain` (attach reports it).
    write(bytes: Uint8Array): boolean {
      return stream.writable ? stream.write(bytes, flushed) : true;
    },
    get bufferedAmount(): number {
      return stream.destroyed ? 0 : stream.writableLength;
    },
  };
  if (init.url !== undefined) socket.url = init.url;
  if (init.env !== undefined) socket.env = init.env;
  return socket;
}
