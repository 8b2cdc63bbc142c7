/**
 * The benchmark measures wsdriver as its users load it: the built
 * `dist/esm`, not `lib/` through tsx. tsx compiles with esbuild's
 * `keepNames`, which wraps every function expression in a `__name()` call:
 * a call per closure made, and a property dictionary (about 256 bytes) per
 * closure kept, which no published build has.
 *
 * `ensureBuilt()` runs `npm run build` when any file under `lib/` is newer
 * than the build, so a change is measured without a manual step.
 * implementations.ts calls it before loading the build; run.ts calls it
 * once before starting its workers, so they do not build side by side.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root: the nearest folder above this module that holds
 * wsdriver's package.json. (Found rather than taken as this file's parent:
 * bench/e2e's children run this module bundled into bench/e2e/.built/.)
 */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'wsdriver') return dir;
    } catch {
      // No package.json here: look further up.
    }
    if (dirname(dir) === dir) throw new Error(`bench: no wsdriver package.json above ${from}`);
  }
}

const root = repositoryRoot(dirname(fileURLToPath(import.meta.url)));
/**
 * The built entry the benchmark loads: the ES module one. (In the CommonJS
 * build every import between modules reads an export getter, which shows
 * in profiles: `get` at about 8% of receiving 1 KiB text.)
 */
export const BUILT_ENTRY = join(root, 'dist', 'esm', 'index.js');
/**
 * The Node adapter's built entry, loaded beside the root as a Node server
 * loads it (it lets the engine allocate without zero-filling, see
 * lib/frame/fresh-bytes.ts). `WSDRIVER_BENCH_PORTABLE=1` leaves it out, to
 * measure the portable core alone.
 */
export const NODE_ENTRY = join(root, 'dist', 'esm', 'adapters', 'node', 'index.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every file in lib/. */
export function ensureBuilt(): void {
  let builtAt = 0;
  try {
    builtAt = statSync(BUILT_ENTRY).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (builtAt > newestSource(join(root, 'lib'))) return;
  console.error('bench: lib/ changed since the last build; running npm run build');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/** The compat package as npm installs it: one CommonJS bundle (scripts/build-compat.mjs). */
export const COMPAT_ENTRY = join(root, 'packages', 'websocket-driver-compat', 'lib', 'websocket', 'driver.js');

/** Builds the compat bundle unless it is newer than every file in lib/ and its src/. */
export function ensureCompatBuilt(): void {
  let builtAt = 0;
  try {
    builtAt = statSync(COMPAT_ENTRY).mtimeMs;
  } catch {
    // Not built yet.
  }
  const sources = Math.max(newestSource(join(root, 'lib')), newestSource(join(root, 'packages', 'websocket-driver-compat', 'src')));
  if (builtAt > sources) return;
  console.error('bench: the compat package changed since the last build; running npm run build:compat');
  const result = spawnSync('npm', ['run', 'build:compat', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build:compat failed');
}
