/**
 * The package as its users get it: `npm pack` of the built package, the
 * tarball installed with npm into a scratch project under os.tmpdir(), and
 * the runtime programs of test/runtimes/programs copied into it, so they
 * import `wsdriver` by name.
 *
 * Packed and installed once per build: the folder's name carries a hash of
 * dist/ and package.json, every test file (each in its own process) reuses
 * a finished folder, and two files racing to make it each build their own
 * copy and rename it into place (the loser's copy is dropped).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PROGRAMS = path.join(REPO, 'test/runtimes/programs');
const READY = '.installed';

/** A scratch project with the packed package installed in node_modules/wsdriver. */
export interface InstalledPackage {
  /** The project folder: programs are in it, `wsdriver` resolves from it. */
  readonly dir: string;
  /** The installed package's folder (node_modules/wsdriver). */
  readonly packageDir: string;
  /** This process's copy of test/runtimes/programs, inside `dir`. */
  readonly programs: string;
  /** Removes `programs`; for afterAll. */
  dispose(): void;
}

let pending: Promise<InstalledPackage> | undefined;

/** Packs and installs on first call (per build); later calls reuse it. */
export function installedPackage(): Promise<InstalledPackage> {
  return (pending ??= install());
}

async function install(): Promise<InstalledPackage> {
  const dist = path.join(REPO, 'dist');
  if (!existsSync(path.join(dist, 'esm/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = path.join(tmpdir(), `wsdriver-installed-${buildHash()}`);
  const result = { dir, packageDir: path.join(dir, 'node_modules/wsdriver') };
  if (!existsSync(path.join(dir, READY))) {
    const work = `${dir}.${process.pid}-${Date.now()}`;
    try {
      mkdirSync(work, { recursive: true });
      // --ignore-scripts: a prepare/prepack build would rewrite dist/ under
      // the other test files' feet; dist/ is built already (pretest).
      const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: REPO });
      const { filename } = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!;
      writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'wsdriver-consumer', private: true, type: 'module' }) + '\n');
      // Its dependencies come from npm's cache when npm ci has filled it.
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', `./${filename}`], {
        cwd: work,
      });
      writeFileSync(path.join(work, READY), filename + '\n');
      try {
        renameSync(work, dir);
      } catch {
        // Another test process finished first: use its copy.
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  // The programs change with the tests, not the build: copied for each
  // test process into its own folder, from which `wsdriver` resolves to the
  // project's node_modules one level up.
  const programs = mkdtempSync(path.join(dir, 'programs-'));
  cpSync(PROGRAMS, programs, { recursive: true });
  return { ...result, programs, dispose: () => rmSync(programs, { recursive: true, force: true }) };
}

/** A hash of everything `npm pack` takes from the build. */
function buildHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => hash.update(path.relative(REPO, file)).update(readFileSync(file));
  add(path.join(REPO, 'package.json'));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else add(full);
    }
  };
  walk(path.join(REPO, 'dist'));
  return hash.digest('hex').slice(0, 16);
}
