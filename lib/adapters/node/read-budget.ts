/**
 * How much one socket reading into the shared buffer may be read in one
 * event-loop turn before the other connections get theirs.
 *
 * Why: libuv reads a readable socket again and again in one turn, up to
 * 32 times, as long as each read fills the buffer. With 256 KiB shared
 * reads (read-buffer.ts) one peer streaming large messages could be read,
 * parsed, unmasked and answered for up to 8 MiB before any other
 * connection was served, four times what Node's own 64 KiB reads allow:
 * every other connection's reply waited that long (bench/analysis.md,
 * "Fairness, session 10").
 *
 * How: a read that did not fill the buffer is the last libuv makes of
 * that socket in this turn, so only a run of full reads of one socket
 * counts. Once such a run passes {@link READ_BUDGET}, the read callback
 * returns false (Node then stops the socket's handle reading) and the
 * socket reads again from `setImmediate`, after the turn's other reads:
 * read-buffer.ts's `resumeSharedReads`, which leaves a socket that
 * something else paused meanwhile as it is.
 *
 * One run is followed at a time, in two module variables: the reads of a
 * run come one after the other, with no other socket's in between.
 *
 * @module
 */
import type { Duplex } from 'node:stream';
import { resumeSharedReads } from './read-buffer.js';

/**
 * Bytes of full reads one socket may take in a row before the read that
 * passes them is its last in the turn: with 256 KiB reads, five reads
 * (1.25 MiB), where Node's own reads allow a socket 2 MiB (32 of 64 KiB)
 * and 256 KiB reads 8 MiB. A 1 MiB message arriving whole (four full
 * reads, then its header's last bytes) is never cut off before its end
 * (bench/analysis.md, "Fairness, session 10").
 */
export const READ_BUDGET = 1024 * 1024;

// The socket whose full reads are being counted, and their bytes so far.
let runSocket: Duplex | null = null;
let runBytes = 0;
// READ_BUDGET unless a benchmark set another (0: no budget).
let budget = READ_BUDGET;

/**
 * For benchmarks and tests only (the package's entries do not export it):
 * the read budget in bytes, 0 for none (bench/e2e/fairness.ts).
 */
export function setReadBudget(bytes: number): void {
  budget = bytes;
}

/**
 * Counts a read of `nread` bytes into a buffer of `capacity` on `socket`;
 * false when the socket has had its turn's budget: the caller returns it
 * to Node (which stops reading it) and reading restarts from setImmediate.
 */
export function withinReadBudget(socket: Duplex, nread: number, capacity: number): boolean {
  if (nread < capacity || budget === 0) {
    // libuv reads this socket no more in this turn.
    runSocket = null;
    return true;
  }
  if (socket !== runSocket) {
    runSocket = socket;
    runBytes = 0;
  }
  runBytes += nread;
  if (runBytes <= budget) return true;
  runSocket = null;
  setImmediate(resumeSharedReads, socket);
  return false;
}
