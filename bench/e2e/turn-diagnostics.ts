/**
 * How long each event-loop turn of a server took in the timed window, in
 * the main thread's CPU time (`E2E_TURNS=1`, bench/e2e/fairness.ts): a
 * connection whose bytes arrive while the server is busy with another's
 * waits for the rest of that turn, so long turns are what a small
 * connection's latency tail is made of when one peer streams bulk data.
 * CPU time, not wall time, so the figure holds on a loaded machine (other
 * processes preempting the server lengthen its turns' wall time, not
 * their CPU); the main thread's only (Linux's /proc/thread-self/schedstat,
 * in nanoseconds), so GC helper threads do not count, the main thread's
 * own GC pauses do.
 *
 * A turn is from one `setImmediate` tick to the next: each tick schedules
 * the next, so every poll phase (where reads run) lies between two ticks.
 * The pending immediate keeps the loop from blocking in poll, so many
 * turns are empty: the summary weighs turns by their length (the turn a
 * random instant of the server's busy time falls in), which empty turns
 * do not move.
 *
 * @module
 */
import { openSync, readSync } from 'node:fs';

export interface TurnSummary {
  readonly turns: number;
  /** Milliseconds of main-thread CPU: half (p50), 90% and 99% of the busy time is in turns no longer than these. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export class TurnDiagnostics {
  readonly #fd = openSync('/proc/thread-self/schedstat', 'r');
  readonly #text = Buffer.alloc(64);
  #ns = new Float64Array(1 << 16);
  #count = 0;
  #running = false;
  #last = 0;

  start(): void {
    this.#running = true;
    this.#last = this.#cpuNs();
    setImmediate(() => this.#tick());
  }

  #tick(): void {
    if (!this.#running) return;
    const now = this.#cpuNs();
    if (this.#count === this.#ns.length) {
      const larger = new Float64Array(this.#count * 2);
      larger.set(this.#ns);
      this.#ns = larger;
    }
    this.#ns[this.#count++] = now - this.#last;
    this.#last = now;
    setImmediate(() => this.#tick());
  }

  /** This thread's CPU time so far: the first field of its schedstat. */
  #cpuNs(): number {
    const length = readSync(this.#fd, this.#text, 0, this.#text.length, 0);
    return Number.parseInt(this.#text.toString('latin1', 0, length), 10);
  }

  end(): TurnSummary {
    this.#running = false;
    const sorted = this.#ns.subarray(0, this.#count).sort();
    let total = 0;
    for (const ns of sorted) total += ns;
    const weighted = (p: number) => {
      let sum = 0;
      for (const ns of sorted) if ((sum += ns) >= p * total) return ns / 1e6;
      return 0;
    };
    return { turns: this.#count, p50: weighted(0.5), p90: weighted(0.9), p99: weighted(0.99), max: (sorted[sorted.length - 1] ?? 0) / 1e6 };
  }
}
