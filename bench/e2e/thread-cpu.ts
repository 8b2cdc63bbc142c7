/**
 * The CPU time of this process's main thread alone, beside
 * `process.cpuUsage()` (every thread's): a Node server's other threads are
 * V8's compiler and GC helpers and libuv's pool, which can run on another
 * core while the event loop works, so the two can tell different stories
 * (bench/analysis.md, "Accepts, session 11").
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * Microseconds the main thread has run so far: the first field of Linux's
 * /proc/self/task/PID/schedstat (nanoseconds on a CPU, user and system);
 * undefined where there is no such file (not Linux).
 */
export function mainThreadCpu(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ', 1)[0]) / 1000;
  } catch {
    return undefined;
  }
}
