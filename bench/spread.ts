/**
 * How steady the benchmark is: compares two runs' figures (JSON written by
 * `npm run bench -- --json=FILE`, or bench/results.json) row by row, and
 * prints a markdown table of wsdriver's ratio to ws (and to
 * websocket-driver) in each run with the change between them, then how many
 * rows moved by at most ±10%.
 *
 *   npx tsx bench/spread.ts first.json second.json
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { median, ratioOf, relativeChange, type RunFile } from './stats.js';

const files = process.argv.slice(2);
if (files.length !== 2) throw new Error('usage: npx tsx bench/spread.ts first.json second.json');
const [first, second] = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunFile) as [RunFile, RunFile];
const TOLERANCE = 0.1;

const percent = (change: number) => `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(1)}%`;
const times = (value: number) => `${value.toFixed(2)}×`;

const lines = [
  '| workload | wsdriver / ws, run 1 | run 2 | change | wsdriver / websocket-driver, run 1 | run 2 | change |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const wsChanges: number[] = [];
const driverChanges: number[] = [];
for (const row of first.rows) {
  const other = second.rows.find((r) => r.id === row.id);
  if (other === undefined) continue;
  const cells: string[] = [];
  for (const [reference, changes] of [
    ['ws', wsChanges],
    ['websocket-driver', driverChanges],
  ] as const) {
    const a = ratioOf(row, 'wsdriver', reference);
    const b = ratioOf(other, 'wsdriver', reference);
    if (a === undefined || b === undefined) {
      cells.push('', '', '');
      continue;
    }
    const change = relativeChange(a, b);
    changes.push(change);
    cells.push(times(a), times(b), percent(change));
  }
  lines.push(`| ${row.id} | ${cells.join(' | ')} |`);
}

function summary(label: string, changes: number[]): string {
  const within = changes.filter((c) => Math.abs(c) <= TOLERANCE).length;
  const magnitudes = changes.map(Math.abs);
  return `${label}: ${within} of ${changes.length} rows within ±${TOLERANCE * 100}%; median change ${(median(magnitudes) * 100).toFixed(1)}%, largest ${(Math.max(...magnitudes) * 100).toFixed(1)}%.`;
}

console.log(`Run 1: ${first.date}, ${first.machine}, Node ${first.node}. Run 2: ${second.date}, ${second.machine}, Node ${second.node}.\n`);
console.log(lines.join('\n'));
console.log(`\n${summary('wsdriver / ws', wsChanges)}\n${summary('wsdriver / websocket-driver', driverChanges)}`);
