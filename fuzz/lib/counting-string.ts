/**
 * Deterministic cost accounting for string functions, so "time grows
 * linearly with length" can be checked without a clock.
 *
 * A CountingString is a String object whose scanning methods add the
 * characters they touch to a shared counter. A tokeniser given one (cast
 * to string) runs as usual; afterwards the counter says how much work it
 * did. Turning the whole string into a primitive (a regular expression,
 * a template literal, `String(value)`) cannot be counted, so it is
 * recorded as an escape: a linear-time claim cannot be checked for code
 * that does it, and the check says so.
 */
export class Cost {
  steps = 0;
  escapes = 0;
}

export class CountingString extends String {
  readonly #cost: Cost;
  readonly #value: string;

  constructor(value: string, cost: Cost) {
    super(value);
    this.#value = value;
    this.#cost = cost;
  }

  override charCodeAt(index: number): number {
    this.#cost.steps++;
    return this.#value.charCodeAt(index);
  }

  override charAt(index: number): string {
    this.#cost.steps++;
    return this.#value.charAt(index);
  }

  override codePointAt(index: number): number | undefined {
    this.#cost.steps++;
    return this.#value.codePointAt(index);
  }

  override indexOf(search: string, from = 0): number {
    const at = this.#value.indexOf(search, from);
    this.#cost.steps += 1 + (at < 0 ? this.#value.length - from : at - from + search.length);
    return at;
  }

  override lastIndexOf(search: string, from?: number): number {
    const at = this.#value.lastIndexOf(search, from);
    const start = from ?? this.#value.length;
    this.#cost.steps += 1 + (at < 0 ? start : start - at);
    return at;
  }

  override includes(search: string, from = 0): boolean {
    return this.indexOf(search, from) >= 0;
  }

  override slice(start?: number, end?: number): string {
    const result = this.#value.slice(start, end);
    this.#cost.steps += 1 + result.length;
    return result;
  }

  override substring(start: number, end?: number): string {
    const result = this.#value.substring(start, end);
    this.#cost.steps += 1 + result.length;
    return result;
  }

  override toLowerCase(): string {
    this.#cost.steps += 1 + this.#value.length;
    return this.#value.toLowerCase();
  }

  override trim(): string {
    this.#cost.steps += 1 + this.#value.length;
    return this.#value.trim();
  }

  override toString(): string {
    this.#cost.escapes++;
    return this.#value;
  }

  override valueOf(): string {
    this.#cost.escapes++;
    return this.#value;
  }

  [Symbol.toPrimitive](): string {
    this.#cost.escapes++;
    return this.#value;
  }
}

/** Runs `fn` on a counting copy of `value`; returns the steps, or null if the work escaped counting. */
export function countSteps(value: string, fn: (value: string) => unknown): { steps: number; escaped: boolean } {
  const cost = new Cost();
  fn(new CountingString(value, cost) as unknown as string);
  return { steps: cost.steps, escaped: cost.escapes > 0 };
}

/**
 * Checks that `fn` costs at most `factor` times more on `unit` repeated
 * 16n times than on `unit` repeated n times (linear: 16; quadratic: 256).
 * Returns a description of the failure, or null.
 */
export function checkLinear(unit: string, n: number, fn: (value: string) => unknown, factor = 24): string | null {
  const small = countSteps(unit.repeat(n), fn);
  const large = countSteps(unit.repeat(16 * n), fn);
  if (small.escaped || large.escaped) return 'the function turned its input into a primitive string, so its cost cannot be counted';
  const ratio = large.steps / Math.max(1, small.steps);
  if (ratio > factor) return `cost grew ${ratio.toFixed(1)}x for 16x the input (${small.steps} -> ${large.steps} steps)`;
  return null;
}
