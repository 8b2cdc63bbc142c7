/**
 * Profiles one workload of one implementation, around the timed region
 * only (set-up excluded), and prints the functions with the most self time.
 *
 *   npx tsx bench/profile.ts "recv text 64 KiB" [wsdriver|ws|websocket-driver] [--out=file.cpuprofile]
 *
 * The .cpuprofile opens in Chrome DevTools (Performance panel) or VS Code.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadImplementation } from './implementations.js';
import { WORKLOADS, buildReceiveStream, messageCount, payloadFor } from './workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [id, name = 'wsdriver'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const workload = WORKLOADS.find((w) => w.id === id);
if (workload === undefined) throw new Error(`unknown workload "${id}"; one of:\n${WORKLOADS.map((w) => w.id).join('\n')}`);
const implementation = loadImplementation(name);
const VOLUME = 8 * 1024 * 1024;
const PASSES = 20;
const count = messageCount(workload, VOLUME);

let run: () => void;
if (workload.direction === 'receive') {
  const stream = buildReceiveStream(workload, count);
  const passes = Array.from({ length: PASSES }, () => {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += workload.chunk) chunks.push(implementation.wrap(stream.slice(at, at + workload.chunk)));
    return { chunks, connection: implementation.receiver(2 ** 30, () => {}) };
  });
  run = () => {
    for (const { chunks, connection } of passes) for (const chunk of chunks) connection.feed(chunk);
  };
} else {
  const connection = implementation.sender(workload.role, () => {});
  const payloads = Array.from({ length: Math.min(count, 64) }, (_, i) => implementation.wrap(payloadFor(workload, i)));
  const texts = payloads.map((p) => new TextDecoder().decode(p));
  run = () => {
    for (let pass = 0; pass < PASSES; pass++) {
      if (workload.kind === 'text') for (let i = 0; i < count; i++) connection.text(texts[i % texts.length]!);
      else for (let i = 0; i < count; i++) connection.binary(payloads[i % payloads.length]!);
    }
  };
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
// 100 µs samples: the default 1 ms gives too few for a run this short.
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const started = process.hrtime.bigint();
run();
const ns = Number(process.hrtime.bigint() - started);
const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
session.disconnect();

console.log(`${name}, "${id}": ${((VOLUME * PASSES) / ns).toFixed(2)} GB/s of payload while profiled`);
const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((sample, i) => {
  const frame = byNode.get(sample)!.callFrame;
  // The inspector's own `dispatch` (starting the profiler) is not the workload's.
  if (frame.functionName === 'dispatch' && frame.url === '') return;
  const key = `${frame.functionName || '(anonymous)'}  ${frame.url.split('/').slice(-2).join('/')}${frame.url ? ':' + (frame.lineNumber + 1) : ''}`;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
for (const [key, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${((time / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
if (out !== undefined) writeFileSync(out, JSON.stringify(profile));
