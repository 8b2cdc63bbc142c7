/**
 * Backpressure between a driver and a Node stream, both ways
 * (docs/flow-control.md): the stream's `drain` tells the driver the
 * transport took what was buffered (`transportDrained()`), and the
 * driver's `pause`/`resume` stop and restart reading, so TCP flow control
 * slows a peer we do not read.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { unsentBytes } from './held-bytes.js';
import type { Listener } from '../../emitter.js';
import type { DriverEventMap } from '../../events.js';
import { writeBuffer } from './write-buffer.js';

/** What {@link applyBackpressure} needs of a driver; every wsdriver driver has it. */
export interface BackpressuredDriver {
  /** Told when the stream drains after a write returned false. */
  transportDrained(): void;
  /** True while delivery is paused: the stream is not read. */
  readonly isPaused: boolean;
  /** Used for `pause` and `resume`. */
  on<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
  /** Used once the stream is gone. */
  off<K extends keyof DriverEventMap>(type: K, listener: Listener<DriverEventMap[K]>): unknown;
}

/**
 * Wires `driver` and `stream` for backpressure both ways; call after the
 * stream was set flowing. Returns a function that undoes it.
 */
export function applyBackpressure(driver: BackpressuredDriver, stream: Duplex): () => void {
  const onDrain = () => driver.transportDrained();
  // Node emits `drain` only after a write returned false; a send refused
  // for a maxBufferedBytes below the stream's high-water mark waits for
  // the buffer to empty instead (streamSocket reports every flush).
  const offFlush = writeBuffer(stream).onFlush(() => {
    if (unsentBytes(stream) === 0) driver.transportDrained();
  });
  const onPause = () => {
    stream.pause();
  };
  const onResume = () => {
    if (!stream.destroyed) stream.resume();
  };
  stream.on('drain', onDrain);
  driver.on('pause', onPause);
  driver.on('resume', onResume);
  if (driver.isPaused) stream.pause();
  return () => {
    offFlush();
    stream.off('drain', onDrain);
    driver.off('pause', onPause);
    driver.off('resume', onResume);
  };
}
