/**
 * The flow-control load script (issue 11): each scenario against wsdriver
 * and ws side by side, each run in its own process on real sockets on
 * 127.0.0.1 and bounded in time; memory is the process's peak RSS over
 * its start. Figures, not assertions: the memory assertions live in
 * test/flow/memory.test.ts.
 *
 *   npm run bench:flow                 all scenarios, 1 GiB streamed
 *   npm run bench:flow -- --mib=256    a smaller streamed message
 *   npm run bench:flow -- --only=slowloris,pingflood
 *   npm run bench:flow -- --write      also write bench/flow/RESULTS.md
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (key: string) => args.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
const mib = Number(option('mib') ?? 1024);
const only = option('only')?.split(',');

/** What each scenario does, and which figures its row shows. */
const SCENARIOS: ReadonlyArray<{ name: string; what: string; columns: string[] }> = [
  {
    name: 'nonreader',
    what: 'server sends fresh 64 KiB messages for 2 s, ignoring every signal, to a client that never reads',
    columns: ['offeredMiB', 'acceptedMiB', 'serverBufferedMiB', 'peakRssGrowthMiB'],
  },
  {
    name: 'slowhandler',
    what: 'client sends 16 KiB messages for 2 s as fast as allowed; the server handles one per ms (wsdriver: pause() at 64 queued, resume() at 16; ws: a plain handler)',
    columns: ['sentMiB', 'handled', 'peakQueue', 'peakRssGrowthMiB'],
  },
  {
    name: 'slowloris',
    what: '1,000 request heads trickling a byte every 100 ms (wsdriver: handshakeTimeout 2 s for the bench; ws under node:http with its defaults)',
    columns: ['closedWithin5s', 'lastCloseMs', 'peakRssGrowthMiB'],
  },
  {
    name: 'pingflood',
    what: 'a client floods 125-byte pings for 2 s and never reads',
    columns: ['pingsSentMiB', 'peakServerBufferedMiB', 'outcome', 'peakRssGrowthMiB'],
  },
  {
    name: 'upload',
    what: `one ${mib} MiB message client → server in 1 MiB pieces (wsdriver: startMessage() and streamMessages; ws: send(fin: false) pieces, maxPayload raised, received whole)`,
    columns: ['messageMiB', 'seconds', 'peakRssGrowthMiB'],
  },
  {
    name: 'download',
    what: `the same server → client`,
    columns: ['messageMiB', 'seconds', 'peakRssGrowthMiB'],
  },
];

function runOne(scenario: string, impl: string): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'scenarios.ts'), scenario, impl, `--mib=${mib}`], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { error: (result.stderr || `exit ${result.status}`).trim().split('\n').slice(-3).join(' ') };
  }
}

const format = (value: unknown) => (typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(1)) : String(value ?? '—'));

const lines: string[] = [
  '# Flow-control load figures',
  '',
  `Run ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; each row its own process, 127.0.0.1. The machine was shared with other work: treat these as indicative, a quiet-machine run is due.`,
  '',
];
for (const scenario of SCENARIOS) {
  if (only !== undefined && !only.includes(scenario.name)) continue;
  lines.push(`## ${scenario.name}`, '', scenario.what, '', `| impl | ${scenario.columns.join(' | ')} |`, `| --- | ${scenario.columns.map(() => '---').join(' | ')} |`);
  for (const impl of ['wsdriver', 'ws']) {
    const figures = runOne(scenario.name, impl);
    const row = 'error' in figures ? [`error: ${String(figures['error'])}`] : scenario.columns.map((column) => format(figures[column]));
    lines.push(`| ${impl} | ${row.join(' | ')} |`);
    process.stderr.write(`${scenario.name} ${impl}: ${JSON.stringify(figures)}\n`);
  }
  lines.push('');
}
const report = lines.join('\n');
process.stdout.write(report + '\n');
if (args.includes('--write')) writeFileSync(join(here, 'RESULTS.md'), report + '\n');
