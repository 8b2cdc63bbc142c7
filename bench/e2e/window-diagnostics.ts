/**
 * What a server's event loop and garbage collector did during the timed
 * window, for explaining a latency tail (`E2E_DIAGNOSE=1`, or
 * `run.ts --diagnose`): the event loop's delay (perf_hooks'
 * `monitorEventLoopDelay`, 1 ms resolution: how late a timer ran, so how
 * long the loop was busy with one task or paused), each kind of GC's count
 * and pause (the main thread's stop, from `gc` performance entries), per
 * message answered: CPU (and its system part), minor page faults (fresh
 * memory touched), scavenges, and how the replies left (socket writes, as
 * `_write`/`_writev` calls, and the bytes in them), and the old
 * generation's size when the window starts (V8 starts no incremental
 * marking while it is under 8 MiB, so a near-empty server on either side
 * of that line is in a different GC regime: bench/analysis.md, "Echo 4 KiB,
 * session 8"); also per message, the server's context switches (voluntary:
 * it waited for input; involuntary: it was preempted) and the machine's
 * TCP recovery events (retransmitted segments, tail-loss probes, zero
 * windows advertised, duplicate segments received: Linux's /proc/net
 * counters, the whole machine's, so they mean something on a quiet machine
 * only; bench/analysis.md, "Large binary, session 11"). Written to stderr as one line when the window ends.
 *
 * @module
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

/** Bytes of objects in every space but the young generation's (V8's old generation size, as its heap limits count it). */
function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new')) bytes += space.space_used_size;
  return bytes;
}

/** The machine's TCP counters that count recovery work, or null where /proc/net cannot be read (not Linux). */
function tcpCounters(): Record<string, number> | null {
  const counters: Record<string, number> = {};
  try {
    // Each file is pairs of lines: "Tcp: Name Name ..." then "Tcp: value value ...".
    for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
      const lines = readFileSync(file, 'latin1').split('\n');
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const names = lines[i]!.split(' ');
        const values = lines[i + 1]!.split(' ');
        for (let j = 1; j < names.length; j++) counters[`${names[0]}${names[j]}`] = Number(values[j]);
      }
    }
  } catch {
    return null;
  }
  return counters;
}

/** What {@link tcpCounters} names each recovery event reported. */
const TCP_EVENTS = {
  retransmittedSegments: 'Tcp:RetransSegs',
  lossProbes: 'TcpExt:TCPLossProbes',
  zeroWindowsAdvertised: 'TcpExt:TCPToZeroWindowAdv',
  duplicateSegmentsReceived: 'TcpExt:TCPDSACKOldSent',
} as const;

interface Pauses {
  count: number;
  totalMs: number;
  maxMs: number;
  over5Ms: number;
}

/** Counts what happens between {@link WindowDiagnostics.start} and {@link WindowDiagnostics.end}. */
export class WindowDiagnostics {
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 1 });
  private readonly pauses = new Map<string, Pauses>();
  private readonly observer = new PerformanceObserver((list) => {
    if (!this.timing) return;
    for (const entry of list.getEntries()) this.notePause(entry);
  });
  private timing = false;
  private cpuAtStart = 0;
  private systemCpuAtStart = 0;
  private faultsAtStart = 0;
  private oldGenerationAtStart = 0;
  private voluntarySwitchesAtStart = 0;
  private involuntarySwitchesAtStart = 0;
  private tcpAtStart: Record<string, number> | null = null;
  private writes = 0;
  private writtenBytes = 0;
  /** Messages the server answered; its echo handler counts them. */
  messages = 0;

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
    this.countSocketWrites();
  }

  /** Wraps every socket's `_write` and `_writev` (what reaches libuv after Writable's buffering and cork). */
  private countSocketWrites(): void {
    const socket = net.Socket.prototype as unknown as {
      _write(chunk: Uint8Array, encoding: string, done: () => void): void;
      _writev(chunks: { chunk: Uint8Array }[], done: () => void): void;
    };
    const write = socket._write;
    const writev = socket._writev;
    const self = this;
    socket._write = function (this: unknown, chunk, encoding, done) {
      self.writes++;
      self.writtenBytes += chunk.length;
      write.call(this, chunk, encoding, done);
    };
    socket._writev = function (this: unknown, chunks, done) {
      self.writes++;
      for (const { chunk } of chunks) self.writtenBytes += chunk.length;
      writev.call(this, chunks, done);
    };
  }

  private notePause(entry: PerformanceEntry): void {
    const kind = KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    const pauses = this.pauses.get(kind) ?? { count: 0, totalMs: 0, maxMs: 0, over5Ms: 0 };
    pauses.count++;
    pauses.totalMs += entry.duration;
    pauses.maxMs = Math.max(pauses.maxMs, entry.duration);
    if (entry.duration > 5) pauses.over5Ms++;
    this.pauses.set(kind, pauses);
  }

  start(): void {
    this.timing = true;
    this.pauses.clear();
    this.writes = 0;
    this.writtenBytes = 0;
    this.messages = 0;
    const cpu = process.cpuUsage();
    this.cpuAtStart = cpu.user + cpu.system;
    this.systemCpuAtStart = cpu.system;
    const usage = process.resourceUsage();
    this.faultsAtStart = usage.minorPageFault;
    this.voluntarySwitchesAtStart = usage.voluntaryContextSwitches;
    this.involuntarySwitchesAtStart = usage.involuntaryContextSwitches;
    this.tcpAtStart = tcpCounters();
    this.oldGenerationAtStart = oldGenerationBytes();
    this.loopDelay.reset();
    this.loopDelay.enable();
  }

  /** The window's figures. */
  end(): Record<string, unknown> {
    this.timing = false;
    this.loopDelay.disable();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const perMessage = (n: number) => (this.messages === 0 ? null : Math.round((n / this.messages) * 1000) / 1000);
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    const tcp = tcpCounters();
    const tcpAtStart = this.tcpAtStart;
    const tcpPerMessage =
      tcp === null || tcpAtStart === null
        ? null
        : Object.fromEntries(Object.entries(TCP_EVENTS).map(([event, name]) => [event, perMessage((tcp[name] ?? 0) - (tcpAtStart[name] ?? 0))]));
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    const pauses = Object.fromEntries([...this.pauses].map(([kind, p]) => [kind, { ...p, totalMs: Math.round(p.totalMs * 100) / 100, maxMs: Math.round(p.maxMs * 100) / 100 }]));
    return {
      loopDelayMs: { p50: ms(this.loopDelay.percentile(50)), p99: ms(this.loopDelay.percentile(99)), max: ms(this.loopDelay.max) },
      gc: pauses,
      messages: this.messages,
      cpuUsPerMessage: perMessage(cpu.user + cpu.system - this.cpuAtStart),
      systemCpuUsPerMessage: perMessage(cpu.system - this.systemCpuAtStart),
      minorFaultsPerMessage: perMessage(usage.minorPageFault - this.faultsAtStart),
      voluntarySwitchesPerMessage: perMessage(usage.voluntaryContextSwitches - this.voluntarySwitchesAtStart),
      involuntarySwitchesPerMessage: perMessage(usage.involuntaryContextSwitches - this.involuntarySwitchesAtStart),
      machineTcpEventsPerMessage: tcpPerMessage,
      scavengesPer1000: perMessage((this.pauses.get('scavenge')?.count ?? 0) * 1000),
      newSpaceBytes: newSpace?.space_size,
      oldGenerationBytesAtStart: this.oldGenerationAtStart,
      writesPerMessage: perMessage(this.writes),
      bytesPerWrite: this.writes === 0 ? null : Math.round(this.writtenBytes / this.writes),
    };
  }
}
