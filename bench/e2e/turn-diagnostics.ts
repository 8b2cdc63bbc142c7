/**
 * How long each event-loop turn of a server took in the timed window, in
 * CPU time (`E2E_TURNS=1`, bench/e2e/fairness.ts): a connection whose
 * bytes arrive while the server is busy with another's waits for the rest
 * of that turn, so the longest turns are what a small connection's
 * latency tail is made of when one peer streams bulk data. CPU time, not
 * wall time, so the figure holds on a loaded machine (other processes
 * preempting the server lengthen its turns' wall time, not their CPU).
 *
 * A turn is from one `setImmediate` tick to the next: each tick schedules
 * the next, so every poll phase (where reads run) lies between two ticks.
 * The pending immediate keeps the loop from blocking in poll; the server
 * is busy in the window anyway.
 *
 * @module
 */

export interface TurnSummary {
  readonly turns: number;
  /** CPU per turn (process user + system), microseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export class TurnDiagnostics {
  #cpu = new Float64Array(1 << 16);
  #count = 0;
  #running = false;
  #last = 0;

  start(): void {
    this.#running = true;
    this.#last = cpuNow();
    setImmediate(() => this.#tick());
  }

  #tick(): void {
    if (!this.#running) return;
    const now = cpuNow();
    if (this.#count === this.#cpu.length) {
      const larger = new Float64Array(this.#count * 2);
      larger.set(this.#cpu);
      this.#cpu = larger;
    }
    this.#cpu[this.#count++] = now - this.#last;
    this.#last = now;
    setImmediate(() => this.#tick());
  }

  end(): TurnSummary {
    this.#running = false;
    const sorted = this.#cpu.subarray(0, this.#count).sort();
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
    return { turns: this.#count, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
  }
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
