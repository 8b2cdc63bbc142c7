/**
 * The few statistics the benchmark reports, and the shape of its
 * machine-readable results (bench/results.json), shared by run.ts and
 * spread.ts.
 *
 * @module
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `a[i] / b[i]` for each repetition i: the repetitions are interleaved, so
 * the i-th of each implementation ran side by side, under the same
 * conditions.
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  return Array.from({ length: n }, (_, i) => a[i]! / b[i]!);
}

/** How far `now` is from `before`, relative to `before`: 1.1 against 1.0 is +0.1. */
export function relativeChange(before: number, now: number): number {
  return now / before - 1;
}

/** One workload of one run. */
export interface ResultRow {
  readonly id: string;
  /** Messages per pass. */
  readonly messages: number;
  /** GB/s of payload of each repetition's median pass, by implementation, in repetition order. */
  readonly samples: Record<string, number[]>;
  /** GB/s of each repetition over all its passes (slow passes included), likewise. */
  readonly meanSamples?: Record<string, number[]>;
  /** Timed passes in each repetition, by implementation. */
  readonly passes: Record<string, number[]>;
  /** Minor page faults inside each repetition's timed passes, likewise. */
  readonly pageFaults?: Record<string, number[]>;
}

/** A whole run, as bench/run.ts writes it with --json (and next to RESULTS.md). */
export interface RunFile {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly volume: number;
  readonly repetitions: number;
  readonly minMs: number;
  readonly warmupMs: number;
  /** Worker processes per implementation (bench/run.ts, PROCESSES); absent in runs before session 11: one. */
  readonly processes?: number;
  readonly rows: ResultRow[];
  /** Bytes per idle connection and peak memory of one large message, by implementation. */
  readonly memory?: {
    readonly idle: Record<string, { heap: number; arrayBuffers: number }>;
    readonly peak: Record<string, { live: number; ratio: number; rss: number }>;
  };
}

/** The median GB/s of `name` in a row, or undefined if it did not run it. */
export function medianOf(row: ResultRow, name: string): number | undefined {
  const samples = row.samples[name];
  return samples === undefined || samples.length === 0 ? undefined : median(samples);
}

/**
 * How much faster `name` is than `reference` (above 1: faster): the median
 * of the per-repetition ratios. Each repetition of the two ran back to back,
 * so a slow phase of the machine (this one has phases of about half speed
 * lasting seconds) mostly hits both and cancels out, where a ratio of the
 * two medians would take it whole.
 */
export function ratioOf(row: ResultRow, name: string, reference: string): number | undefined {
  const a = row.samples[name];
  const b = row.samples[reference];
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return undefined;
  return median(pairedRatios(a, b));
}
