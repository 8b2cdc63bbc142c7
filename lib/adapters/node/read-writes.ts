/**
 * What a driver writes while `attach` hands it one read, gathered so that
 * it reaches the stream in one call when the read is done: a read that
 * produced one frame (an echo, a reply to one request) costs one plain
 * `write()` of that frame; a read that produced several (a batch of
 * messages, a large frame's header and payload) corks the stream from
 * its second write on, so that they leave as one `writev`.
 *
 * Corking for every read cost each single-frame read Node's buffered-write
 * path (an entry in the stream's buffer, then `uncork()` → `clearBuffer`)
 * on top of the write itself: about 900 instructions per echoed 16 B
 * message (bench/analysis.md, "Echo 16 B, session 6").
 *
 * Only writes made through `streamSocket` are gathered (the attachment
 * knows which drivers write that way); a driver with a socket of its own
 * gets its reads corked as before (attachment.ts). The frame held here is
 * handed on before the attachment ends or drops the stream (`flushRead`),
 * so nothing written before that is lost. Like a cork, what is held
 * does not count as unsent (`bufferedAmount`), and it is never more than
 * {@link HOLD_LIMIT} bytes: a larger frame goes to the stream at once.
 *
 * One read is handled at a time; a read of another stream that starts
 * while one is handled (streams piped in memory) is corked instead.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { HOLD_LIMIT, hold, noteWritten, release, unsentBytes } from './held-bytes.js';

// The stream whose read is being handled, if its writes are gathered here.
let reading: Duplex | null = null;
// Its first write, held until the read is done (or a second write comes).
let firstBytes: Uint8Array | null = null;
let firstCallback: (() => void) | null = null;
// True once a second write corked the stream for the rest of the read.
let corked = false;

/**
 * Starts gathering the writes to `stream` until {@link endRead}. False if
 * another read is being handled (the caller corks this one instead).
 */
export function beginRead(stream: Duplex): boolean {
  if (reading !== null) return false;
  reading = stream;
  return true;
}

/** True while `stream`'s writes are gathered: then write through {@link writeDuringRead}. */
export function isReading(stream: Duplex): boolean {
  return reading === stream;
}

/**
 * Writes `bytes` to the stream being read (see {@link isReading}), held
 * until the read is done. Returns what `stream.write()` answers, leaving
 * out what is held: false once the transport has been offered as much as
 * the stream's high-water mark.
 */
export function writeDuringRead(stream: Duplex, bytes: Uint8Array, callback: () => void): boolean {
  if (!corked) {
    if (firstBytes === null && bytes.length <= HOLD_LIMIT) {
      firstBytes = bytes;
      firstCallback = callback;
      return unsentBytes(stream) < stream.writableHighWaterMark;
    }
    // A second write (or a large one): everything from here on leaves as one writev.
    corked = true;
    hold(stream);
    if (firstBytes !== null) writeHeld(stream, takeFirst(), firstCallback!);
  }
  return writeHeld(stream, bytes, callback);
}

/** Ends the read begun by {@link beginRead}: what it wrote goes to the stream. */
export function endRead(): void {
  const stream = reading!;
  reading = null;
  if (corked) {
    corked = false;
    release(stream);
    return;
  }
  if (firstBytes !== null) {
    const callback = firstCallback!;
    const bytes = takeFirst();
    // A stream ended or destroyed during the read takes nothing more; the driver's writes check the same.
    if (stream.writable) stream.write(bytes, callback);
  }
}

/**
 * Hands on at once what the read of `stream` has written so far, if a
 * read of it is being handled: before the stream is ended or destroyed
 * (the driver closed, `terminate()`), so that those bytes go first.
 */
export function flushRead(stream: Duplex): void {
  if (reading !== stream || firstBytes === null) return;
  const callback = firstCallback!;
  const bytes = takeFirst();
  if (stream.writable) stream.write(bytes, callback);
}

function takeFirst(): Uint8Array {
  const bytes = firstBytes!;
  firstBytes = null;
  firstCallback = null;
  return bytes;
}

/** Writes to the corked stream, as the cork-per-read did: held up to HOLD_LIMIT bytes. */
function writeHeld(stream: Duplex, bytes: Uint8Array, callback: () => void): boolean {
  const accepted = stream.write(bytes, callback);
  noteWritten(stream, bytes.length);
  return accepted || unsentBytes(stream) < stream.writableHighWaterMark;
}
