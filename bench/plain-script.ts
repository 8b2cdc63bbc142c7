/**
 * The benchmarks' child processes (bench/'s workers, bench/e2e's servers
 * and load generator) run as plain JavaScript, as a deployed program runs,
 * not under tsx. tsx's loader leaves about 1.7 MB in the old generation of
 * every process it runs (`node --import tsx` against `node`, after full
 * GCs), more than some of the e2e servers' own heaps, and that moves where
 * V8's heap heuristics put them (bench/analysis.md, "The benchmarks'
 * processes without tsx, session 10").
 *
 * `plainScript(file)` bundles one script with the modules of this
 * repository it imports into bench/.built/, leaving packages (ws,
 * websocket-driver) to be loaded from node_modules as usual. The library
 * itself is not bundled: the scripts load the built dist/ at run time
 * (bench/built.ts).
 *
 * @module
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** Inside the repository, so the bundles find its node_modules. Ignored by git. */
const OUT_DIR = join(here, '.built');

/** Bundles `script` (a path under bench/) into plain JavaScript and returns the bundle's path. */
export async function plainScript(script: string): Promise<string> {
  const outfile = join(OUT_DIR, relative(here, script).replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [script],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}
