/**
 * What a transport tells the callback adapter about its outgoing buffer,
 * so that `client.pending()` and `onDrained` mean something. The Node
 * adapter makes one from a stream (`writeBuffer(stream)` in
 * `wsdriver/node`); the WHATWG streams adapter offers one
 * (`connection.writeBuffer`); any other transport can implement it.
 *
 * @module
 */

/** A transport's outgoing buffer, as seen by the callback adapter. */
export interface WriteBuffer {
  /**
   * Bytes the driver has written to the transport that the transport has
   * not yet flushed (handed to the operating system, or accepted by the
   * underlying sink).
   */
  pending(): number;
  /**
   * Calls `listener` each time the transport has flushed some bytes, so
   * `pending()` may have dropped; it may be called when nothing changed.
   * Returns a function that removes the listener.
   */
  onFlush(listener: () => void): () => void;
}
