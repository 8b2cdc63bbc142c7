/**
 * bench/e2e's child processes (each server under test and the load
 * generator) run as plain JavaScript, as a deployed server runs, not under
 * tsx. tsx's loader leaves about 1.7 MB in the old generation of every
 * process it runs (`node --import tsx` against `node` after full GCs),
 * which is more than some of the servers' own heaps and moves where V8's
 * heap heuristics put them (bench/analysis.md, "The e2e servers without
 * tsx, session 10").
 *
 * `plainScript('server.ts')` bundles one script of this folder with the
 * modules of this repository it imports into bench/e2e/.built/, leaving
 * packages (ws, websocket-driver) to be loaded from node_modules as usual.
 * The library itself is not bundled: the server loads the built dist/ at
 * run time (bench/built.ts).
 *
 * @module
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** Inside the repository, so the bundles find its node_modules. Ignored by git. */
const OUT_DIR = join(here, '.built');

/** Bundles `script` (a file of this folder) into plain JavaScript and returns the bundle's path. */
export async function plainScript(script: string): Promise<string> {
  const outfile = join(OUT_DIR, script.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [join(here, script)],
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
