/**
 * The order a row's timed repetitions run in (bench/run.ts).
 *
 * Implementations take turns within each repetition, the first one
 * rotating so no implementation always follows the same other; an
 * implementation with several worker processes runs its repetition `rep`
 * in process `rep % processes`, so its figure is spread over all of them
 * (bench/analysis.md, "Masked binary rows, session 11": one process can
 * decide a row).
 *
 * @module
 */

/** One timed repetition of one implementation: its index among the implementations, and which of its processes runs it. */
export interface Turn {
  readonly implementation: number;
  readonly process: number;
}

/**
 * The turns of `repetitions` repetitions, repetition by repetition, for
 * implementations that have `processes[i]` worker processes each.
 */
export function repetitionTurns(processes: readonly number[], repetitions: number): Turn[][] {
  const count = processes.length;
  return Array.from({ length: repetitions }, (_, rep) =>
    Array.from({ length: count }, (_, k) => {
      const implementation = (rep + k) % count;
      return { implementation, process: rep % processes[implementation]! };
    }),
  );
}
