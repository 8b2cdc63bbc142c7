/** What a fuzz target is: inputs to generate and a check that throws on a finding. */
import type fc from 'fast-check';

export interface FuzzTarget<T> {
  /** The name given to `--target`. */
  readonly name: string;
  readonly description: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws if the input reveals a bug; returns normally otherwise. */
  check(input: T): void;
  /** Printed after a run: what the target counted (e.g. differential disagreements). */
  summary?(): string;
}
