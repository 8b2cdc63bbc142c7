/**
 * The seed a fuzz run prints is one `--seed` accepts and fast-check replays.
 * Before: a seed made as `(Date.now() ^ r) | 0` was negative whenever the
 * clock's bit 31 was set (weeks at a time), and `--seed` refused negatives.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshSeed, parseSeed } from './lib/seed.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('fuzz seeds', () => {
  it('a fresh seed is a non-negative 31-bit integer whatever the clock says, and reads back as itself', () => {
    // A clock with bit 31 set (as Date.now() has for weeks at a time) was made negative by `| 0`.
    const clocks = [Date.UTC(2026, 11, 4), 2 ** 31, 2 ** 31 + 12345, 2 ** 32 - 1, 0, Date.now()];
    for (const now of clocks) {
      for (const random of [0, 0.5, 0.999999]) {
        const seed = freshSeed(now, random);
        expect(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1).toBe(true);
        expect(parseSeed(String(seed))).toBe(seed);
      }
    }
    // The old formula on such a clock: negative.
    expect((2 ** 31 + 12345) ^ 0).toBeLessThan(0);
  });

  it('--seed takes negative seeds too (printed by earlier runs), and refuses what is not an int32', () => {
    expect(parseSeed('-123456789')).toBe(-123456789);
    expect(parseSeed('2147483647')).toBe(2 ** 31 - 1);
    for (const bad of ['', 'abc', '1.5', '2147483648', '-2147483649']) expect(() => parseSeed(bad)).toThrow(/--seed/);
  });

  it('a seed replays: the same seed gives the same inputs', () => {
    const seed = freshSeed(2 ** 31 + 99, 0.25);
    const draw = (s: number) => fc.sample(fc.integer(), { seed: s, numRuns: 5 });
    expect(draw(parseSeed(String(seed)))).toEqual(draw(seed));
  });

  it('npm run fuzz prints a seed that its own --seed accepts', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'fuzz/run.ts'), '--target', 'tokens', '--runs', '5', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const first = run([]);
    expect(first.status).toBe(0);
    const printed = /seed (-?\d+)/.exec(first.stdout)?.[1];
    expect(printed).toBeDefined();
    expect(Number(printed)).toBeGreaterThanOrEqual(0);
    const replay = run(['--seed', printed!]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain(`seed ${printed}`);
    expect(run(['--seed', '-42']).status).toBe(0);
  });
});
