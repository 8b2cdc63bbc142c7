/**
 * The fuzz runner: `npm run fuzz -- --target frames --seconds 300`.
 *
 *   --target NAME   one target, or `all` (default), run one after another
 *   --runs N        stop after N inputs per target
 *   --seconds S     stop after S seconds per target (default 60 when --runs is absent)
 *   --seed N        replay: the seed printed by an earlier run
 *   --path P        replay one failing input (with its --seed), as printed
 *   --list          print the targets and exit
 *
 * Every run prints its seed first, so any run can be replayed exactly. A
 * finding prints the shrunk input, the broken invariant and the command
 * that replays it, and the runner exits 1.
 */
import fc from 'fast-check';
import { targets } from './targets/index.js';
import { freshSeed, parseSeed } from './lib/seed.js';

interface Args {
  target: string;
  runs: number | undefined;
  seconds: number | undefined;
  seed: number | undefined;
  path: string | undefined;
  list: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { target: 'all', runs: undefined, seconds: undefined, seed: undefined, path: undefined, list: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
      return n;
    };
    switch (flag) {
      case '--target':
        args.target = value();
        break;
      case '--runs':
        args.runs = Math.floor(number());
        break;
      case '--seconds':
        args.seconds = number();
        break;
      case '--seed':
        args.seed = parseSeed(value());
        break;
      case '--path':
        args.path = value();
        break;
      case '--list':
        args.list = true;
        break;
      default:
        throw new Error(`unknown flag ${flag} (see fuzz/run.ts)`);
    }
  }
  return args;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of targets) console.log(`${t.name.padEnd(14)} ${t.description}`);
    return 0;
  }
  const chosen = args.target === 'all' ? targets : targets.filter((t) => t.name === args.target);
  if (chosen.length === 0) {
    console.error(`no target ${args.target}; known: ${targets.map((t) => t.name).join(', ')}`);
    return 2;
  }
  let failed = false;
  for (const target of chosen) {
    const seed = args.seed ?? freshSeed();
    const seconds = args.seconds ?? (args.runs === undefined ? 60 : undefined);
    console.log(`target ${target.name}: seed ${seed}${args.runs !== undefined ? `, runs ${args.runs}` : ''}${seconds !== undefined ? `, seconds ${seconds}` : ''}`);
    let inputs = 0;
    const started = Date.now();
    let lastReport = started;
    const property = fc.property(target.arbitrary, (input) => {
      inputs++;
      target.check(input);
      const now = Date.now();
      if (now - lastReport >= 30_000) {
        lastReport = now;
        console.log(`  … ${inputs} inputs, ${Math.round((inputs * 1000) / (now - started))}/s`);
      }
    });
    const result = fc.check(property, {
      seed,
      numRuns: args.runs ?? 2 ** 31 - 1,
      ...(seconds !== undefined ? { interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : {}),
      ...(args.path !== undefined ? { path: args.path } : {}),
    });
    const elapsed = (Date.now() - started) / 1000;
    if (result.failed) {
      failed = true;
      console.log(fc.defaultReportMessage(result) ?? 'failed');
      const error = result.errorInstance;
      console.log(`finding: ${error instanceof Error ? error.message : String(error)}`);
      console.log(`replay: npm run fuzz -- --target ${target.name} --seed ${result.seed} --path ${result.counterexamplePath}`);
    } else {
      console.log(`  ${result.numRuns} inputs in ${elapsed.toFixed(1)} s (${Math.round(result.numRuns / elapsed)}/s), nothing found; seed ${seed}`);
    }
    const summary = target.summary?.();
    if (summary) console.log(summary);
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
