/**
 * Memory figures, one implementation per process (run with --expose-gc):
 *
 * - `idle N`: heap and array-buffer bytes held per open, idle server
 *   connection, over N connections opened with a handshake.
 * - `peak SIZE`: the most memory live while one binary message of SIZE bytes
 *   arrives in 16 KiB fragments and 64 KiB chunks, each chunk freshly
 *   allocated as a socket would hand it over. "Live" is heap plus external
 *   memory (array buffers, WebAssembly memories) after a full GC, sampled every 16 chunks and when the message is
 *   delivered (while it is still held); the process's peak RSS is reported too.
 *
 * Prints one JSON line.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { loadImplementation } from './implementations.js';
import { streamOneMessage } from './workloads.js';

const [name, mode, arg, fragmentArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const implementation = loadImplementation(name);

function live(): number {
  gc!();
  const usage = process.memoryUsage();
  // `external` covers array buffers and WebAssembly memories alike.
  return usage.heapUsed + usage.external;
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

if (mode === 'idle') {
  const count = Number(arg);
  // Warm up the code paths so their one-off allocations are not counted.
  const warm = [implementation.idle(), implementation.idle()];
  gc();
  const baseHeap = process.memoryUsage().heapUsed;
  const baseBuffers = process.memoryUsage().arrayBuffers;
  const held: unknown[] = new Array(count);
  for (let i = 0; i < count; i++) held[i] = implementation.idle();
  gc();
  const after = process.memoryUsage();
  const heap = (after.heapUsed - baseHeap) / count;
  const arrayBuffers = (after.arrayBuffers - baseBuffers) / count;
  console.log(JSON.stringify({ name, mode, count, heapPerConnection: heap, arrayBuffersPerConnection: arrayBuffers, kept: held.length + warm.length }));
} else {
  const size = Number(arg);
  let peak = 0;
  let delivered = -1;
  const base = live();
  const rssBefore = peakRss();
  const connection = implementation.receiver(2 ** 30, (data) => {
    delivered = data.length;
    peak = Math.max(peak, live() - base);
  });
  let n = 0;
  // 16 KiB fragments unless a fragment size is given (the message's size: one frame).
  const fragment = fragmentArg === undefined ? 16 * 1024 : Number(fragmentArg);
  for (const chunk of streamOneMessage('binary', size, fragment, 64 * 1024)) {
    connection.feed(implementation.wrap(chunk));
    if (++n % 16 === 0) peak = Math.max(peak, live() - base);
  }
  if (delivered !== size) throw new Error(`${name} delivered ${delivered} bytes, expected ${size}`);
  console.log(JSON.stringify({ name, mode, size, fragment, peakLive: peak, peakRatio: peak / size, rssGrowth: peakRss() - rssBefore }));
}
