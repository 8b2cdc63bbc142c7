/**
 * A scratch copy of this package for bundler tests: lib/ built by esbuild
 * into node_modules/wsdriver/dist/esm under a temporary folder, beside the
 * real package.json, which a test may rewrite (say, with other
 * `sideEffects`) before it bundles against the copy.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');

export interface ScratchPackage {
  /** The folder holding node_modules/wsdriver: the resolve directory for bundles. */
  readonly dir: string;
  /** The package's own package.json, parsed. */
  readonly packageJson: Record<string, unknown>;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/** Builds the scratch copy in a new folder named after `prefix`. */
export async function makeScratchPackage(prefix: string): Promise<ScratchPackage> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const packageJson = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const sources = (await readdir(path.join(root, 'lib'), { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(root, 'lib', file));
  const outdir = path.join(dir, 'node_modules', 'wsdriver', 'dist', 'esm');
  await build({ entryPoints: sources, outdir, outbase: path.join(root, 'lib'), format: 'esm', logLevel: 'silent' });
  return { dir, packageJson, remove: () => rm(dir, { recursive: true, force: true }) };
}
