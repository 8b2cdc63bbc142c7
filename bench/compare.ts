/**
 * A quick in-process comparison of one workload across implementations,
 * for trying a change: alternates them for a few rounds and prints each
 * one's best GB/s, from CPU time. Less careful than run.ts (one process, so JIT and GC
 * state are shared); use run.ts for figures to report.
 *
 *   npx tsx bench/compare.ts "recv text 64 KiB" [rounds]
 *   npx tsx bench/compare.ts --quick ["recv text 64 KiB"]
 *
 * `--quick` is a smoke run (a loaded machine, CI): 1 MiB, 2 passes, one
 * round, the first workload unless one is named; its figures mean nothing.
 *
 * @module
 */
import { loadImplementation, type Implementation } from './implementations.js';
import { WORKLOADS, buildReceiveStream, messageCount, payloadFor } from './workloads.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const [id = quick ? WORKLOADS[0]!.id : undefined, roundsArg = quick ? '1' : '5'] = args.filter((a) => a !== '--quick');
const workload = WORKLOADS.find((w) => w.id === id);
if (workload === undefined) throw new Error(`unknown workload "${id}"; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
const VOLUME = (quick ? 1 : 8) * 1024 * 1024;
const PASSES = quick ? 2 : 8;
const count = messageCount(workload, VOLUME);
const names = ['wsdriver', 'ws', 'websocket-driver'];

function prepare(implementation: Implementation): () => void {
  if (workload!.direction === 'receive') {
    const stream = buildReceiveStream(workload!, count);
    const chunkSize = workload!.chunk;
    return () => {
      const passes = Array.from({ length: PASSES }, () => {
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < stream.length; at += chunkSize) chunks.push(implementation.wrap(stream.slice(at, at + chunkSize)));
        return { chunks, connection: implementation.receiver(2 ** 30, () => {}) };
      });
      const started = process.cpuUsage();
      for (const { chunks, connection } of passes) for (const chunk of chunks) connection.feed(chunk);
      record(process.cpuUsage(started));
    };
  }
  const send = workload!;
  const connection = implementation.sender(send.role, () => {});
  const payloads = Array.from({ length: Math.min(count, 64) }, (_, i) => implementation.wrap(payloadFor(send, i)));
  const texts = payloads.map((p) => new TextDecoder().decode(p));
  return () => {
    const started = process.cpuUsage();
    for (let pass = 0; pass < PASSES; pass++) {
      if (send.kind === 'text') for (let i = 0; i < count; i++) connection.text(texts[i % texts.length]!);
      else for (let i = 0; i < count; i++) connection.binary(payloads[i % payloads.length]!);
    }
    record(process.cpuUsage(started));
  };
}

// CPU time (user + system, all threads) rather than wall time: on a shared
// machine, time spent descheduled is not the code's.
let last = 0;
function record(usage: NodeJS.CpuUsage): void {
  last = (usage.user + usage.system) * 1000;
}

const runs = names.map((name) => ({ name, run: prepare(loadImplementation(name)), best: Infinity }));
for (let round = 0; round < Number(roundsArg); round++) {
  for (const entry of runs) {
    entry.run();
    entry.best = Math.min(entry.best, last);
  }
}
const ws = runs.find((r) => r.name === 'ws')!.best;
for (const entry of runs) {
  console.log(`${entry.name.padEnd(17)} ${((VOLUME * PASSES) / entry.best).toFixed(2).padStart(6)} GB/s  ${(ws / entry.best).toFixed(2)}× ws`);
}
