/**
 * What the load generator itself did during a timed window, per message
 * (`run.ts --diagnose` prints it beside each server's own diagnostics): how
 * many reads its sockets' `onread` callbacks got and how many bytes each
 * carried, how many read and write system calls the process made
 * (`/proc/self/io`), how often it gave up the core (voluntary context
 * switches: an `epoll_wait` that slept) and its user and system CPU. The
 * same counters for every server: what tells whether a difference in the
 * generator's CPU per message comes from how a server's replies are cut
 * into reads, or from how busy the generator was.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** Reads seen by `onread` callbacks (with at least one byte) and their bytes, process-wide; the load generator adds to these. */
export const readTally = { reads: 0, bytes: 0 };

interface Snapshot {
  readonly reads: number;
  readonly bytes: number;
  readonly syscr: number;
  readonly syscw: number;
  readonly voluntarySwitches: number;
  readonly user: number;
  readonly system: number;
}

/** `syscr` and `syscw` of /proc/self/io (0 where there is none). */
function systemCalls(): { syscr: number; syscw: number } {
  try {
    const text = readFileSync('/proc/self/io', 'latin1');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { syscr: field('syscr'), syscw: field('syscw') };
  } catch {
    return { syscr: 0, syscw: 0 };
  }
}

export function snapshot(): Snapshot {
  const usage = process.resourceUsage();
  return { ...readTally, ...systemCalls(), voluntarySwitches: usage.voluntaryContextSwitches, user: usage.userCPUTime, system: usage.systemCPUTime };
}

/** Per message between two snapshots, rounded for printing. */
export function perMessage(before: Snapshot, after: Snapshot, messages: number): Record<string, number> {
  const per = (value: number) => Math.round((value / messages) * 1000) / 1000;
  const reads = after.reads - before.reads;
  return {
    readsPerMessage: per(reads),
    bytesPerRead: Math.round((after.bytes - before.bytes) / Math.max(1, reads)),
    readCallsPerMessage: per(after.syscr - before.syscr),
    writeCallsPerMessage: per(after.syscw - before.syscw),
    sleepsPerMessage: per(after.voluntarySwitches - before.voluntarySwitches),
    userUsPerMessage: per(after.user - before.user),
    systemUsPerMessage: per(after.system - before.system),
  };
}
