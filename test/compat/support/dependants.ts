/**
 * faye-websocket 0.11.4 and sockjs 0.3.24, unchanged from npm, installed
 * in a scratch project under os.tmpdir() whose `overrides` point
 * `websocket-driver` at the packed compat package. Not the repository's
 * own package.json: npm refuses an override that conflicts with a direct
 * dependency, and websocket-driver is one there.
 *
 * The compat package is built and packed once per call; the install is
 * cached in a directory named after the tarball's hash, so a second test
 * run with the same package only requires the modules.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const DEPENDANTS = { 'faye-websocket': '0.11.4', sockjs: '0.3.24' } as const;

/** The scratch project: where it is, and `require` from inside it. */
export interface Dependants {
  readonly dir: string;
  readonly require: NodeRequire;
  /** Seconds the npm install took (0 when the cache was used). */
  readonly installSeconds: number;
}

/** Builds and packs the compat package; returns the tarball's path. */
export async function packCompat(): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(root, 'scripts/build-compat.mjs'), '--pack'], { cwd: root });
  return stdout.trim().split('\n').pop()!;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Installs (or reuses) the scratch project for the current compat package. */
export async function installDependants(): Promise<Dependants> {
  const tarball = await packCompat();
  const hash = createHash('sha256').update(await readFile(tarball)).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), `wsdriver-compat-dependants-${hash}`);
  let installSeconds = 0;
  if (!(await exists(path.join(dir, 'installed')))) {
    const started = Date.now();
    // Installed beside the final directory, then renamed: a run that stops
    // half way leaves no directory that looks installed.
    const work = await mkdtemp(path.join(tmpdir(), 'wsdriver-compat-install-'));
    await copyFile(tarball, path.join(work, 'websocket-driver-compat.tgz'));
    const manifest = {
      name: 'wsdriver-compat-dependants',
      private: true,
      dependencies: DEPENDANTS,
      overrides: { 'websocket-driver': 'file:./websocket-driver-compat.tgz' },
    };
    await writeFile(path.join(work, 'package.json'), JSON.stringify(manifest, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: work, timeout: 120_000 });
    await writeFile(path.join(work, 'installed'), new Date().toISOString());
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    await rename(work, dir).catch(async (error) => {
      // Another run installed the same package meanwhile: use that one.
      await rm(work, { recursive: true, force: true });
      if (!(await exists(path.join(dir, 'installed')))) throw error;
    });
    installSeconds = (Date.now() - started) / 1000;
  }
  return { dir, require: createRequire(path.join(dir, 'package.json')), installSeconds };
}
