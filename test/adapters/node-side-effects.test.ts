// `wsdriver/node` does something as it loads: it has the core allocate the
// buffers it writes in full without their zero fill (unfilled-memory.ts),
// check UTF-8 natively (native-utf8.ts) and hash accept keys with
// node:crypto (native-sha1.ts).
// package.json's `sideEffects` must name that entry, or a bundler honouring
// the field may drop the call from an application that imports the entry
// only for the adapters it bundles separately, or for that effect alone.
// Checked with esbuild against a scratch copy of the package (package.json
// plus lib/ transpiled to dist/esm), so it needs no prior build.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScratchPackage, type ScratchPackage } from '../helpers/scratch-package.js';

const root = path.resolve(import.meta.dirname, '../..');
let scratch = '';
let packageJson: Record<string, unknown> = {};
let made: ScratchPackage | null = null;

beforeAll(async () => {
  made = await makeScratchPackage('wsdriver-node-entry-');
  ({ dir: scratch, packageJson } = made);
});

afterAll(async () => {
  await made?.remove();
});

async function bundle(entry: string, sideEffects: unknown): Promise<string> {
  await writeFile(path.join(scratch, 'node_modules', 'wsdriver', 'package.json'), JSON.stringify({ ...packageJson, sideEffects }));
  const out = await build({
    stdin: { contents: entry, resolveDir: scratch, loader: 'js' },
    bundle: true,
    nodePaths: [path.join(root, 'node_modules')],
    format: 'esm',
    platform: 'node',
    treeShaking: true,
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}

describe("wsdriver/node's load-time call survives bundling", () => {
  it('kept for a bare import, as package.json lists the entry', async () => {
    const code = await bundle("import 'wsdriver/node';", packageJson['sideEffects']);
    expect(code).toContain('allocUnsafeSlow');
    expect(code).toContain('createHash("sha1")');
  });

  it('kept for an app that imports one adapter from it', async () => {
    const code = await bundle("import { attach } from 'wsdriver/node'; globalThis.out = attach;", packageJson['sideEffects']);
    expect(code).toContain('allocUnsafeSlow');
    expect(code).toContain('createHash("sha1")');
  });

  it('would be dropped if the entry were not listed', async () => {
    const unlisted = (packageJson['sideEffects'] as string[]).filter((file) => !file.includes('adapters/node'));
    expect(await bundle("import 'wsdriver/node';", unlisted)).not.toContain('allocUnsafeSlow');
  });
});
