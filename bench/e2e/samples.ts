/**
 * Latencies in milliseconds, in a growing typed array (no boxed number per
 * sample): the load generators' (loadgen.ts, fairness.ts) percentiles.
 *
 * @module
 */
export class Samples {
  count = 0;
  #values = new Float64Array(1 << 16);

  add(ms: number): void {
    if (this.count === this.#values.length) {
      const larger = new Float64Array(this.count * 2);
      larger.set(this.#values);
      this.#values = larger;
    }
    this.#values[this.count++] = ms;
  }

  /** The p-quantiles (0..1) of the samples, undefined with none. */
  percentiles(...ps: number[]): (number | undefined)[] {
    const sorted = this.#values.subarray(0, this.count).sort();
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
  }
}
