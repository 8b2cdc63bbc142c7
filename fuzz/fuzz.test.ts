/**
 * A short, deterministic run of every fuzz target inside `npm test`: fixed
 * seeds, a few hundred inputs each. Longer runs: `npm run fuzz`.
 * FUZZ_RUNS raises the count (e.g. FUZZ_RUNS=20000 npm test -- fuzz).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { targets } from './targets/index.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);

describe('fuzz targets, short deterministic runs', () => {
  for (const target of targets) {
    it(`${target.name}: ${target.description}`, () => {
      fc.assert(fc.property(target.arbitrary, (input) => target.check(input)), { seed: 7, numRuns: RUNS });
    });
  }
});
