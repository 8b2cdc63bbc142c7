// The drafts must survive tree-shaking when imported for their side effect
// alone, and must stay out of bundles that never import them. Checked with
// esbuild against a scratch copy of the package (package.json plus lib/
// transpiled to dist/esm), so it needs no prior build.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScratchPackage, type ScratchPackage } from '../helpers/scratch-package.js';

const root = path.resolve(import.meta.dirname, '../..');
let scratch = '';
let packageJson: Record<string, unknown> = {};
let made: ScratchPackage | null = null;

beforeAll(async () => {
  made = await makeScratchPackage('wsdriver-drafts-');
  ({ dir: scratch, packageJson } = made);
});

afterAll(async () => {
  await made?.remove();
});

/** Bundles `entry` against the scratch package with `sideEffects` as given, runs it, returns probe(). */
async function bundleAndProbe(entry: string, sideEffects: unknown): Promise<{ result: string; code: string }> {
  const pkgDir = path.join(scratch, 'node_modules', 'wsdriver');
  await writeFile(path.join(pkgDir, 'package.json'), JSON.stringify({ ...packageJson, sideEffects }));
  const probe = `
    export function probe() {
      try { Driver.server({ write() {} }, { allowDrafts: true }); return 'ok'; }
      catch (error) { return error.message; }
    }`;
  const out = await build({
    stdin: { contents: entry + probe, resolveDir: scratch, loader: 'js' },
    bundle: true,
    // The package's own dependencies (@noble/hashes, …) come from the repository.
    nodePaths: [path.join(root, 'node_modules')],
    format: 'esm',
    // The core is portable: bundled as for any platform, packages' "main" allowed.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    treeShaking: true,
    write: false,
    logLevel: 'error',
  });
  const code = out.outputFiles[0]!.text;
  const file = path.join(scratch, `bundle-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, code);
  const module = (await import(pathToFileURL(file).href)) as { probe(): string };
  return { result: module.probe(), code };
}

describe('wsdriver/drafts in a bundle', () => {
  it('package.json lists the drafts entry files as having side effects', () => {
    // The browser build's drafts entry too, and its chunks: esbuild puts its
    // runtime helpers in a chunk that each entry imports bare. (The Node
    // entry is listed for its own load-time call: test/adapters/node-side-effects.test.ts.)
    expect(packageJson['sideEffects']).toEqual([
      './dist/esm/adapters/node/index.js',
      './dist/cjs/adapters/node/index.js',
      './dist/esm/drafts/index.js',
      './dist/cjs/drafts/index.js',
      './dist/browser/drafts.js',
      './dist/browser/chunks/*.js',
    ]);
    expect(Object.keys(packageJson['exports'] as object)).toContain('./drafts');
  });

  it("keeps a bare import 'wsdriver/drafts'", async () => {
    const { result, code } = await bundleAndProbe("import 'wsdriver/drafts'; import { Driver } from 'wsdriver';", packageJson['sideEffects']);
    expect(result).toBe('ok');
    expect(code).toContain('Web Socket Protocol Handshake');
  });

  it('would drop the bare import if the package were marked side-effect free', async () => {
    const { result } = await bundleAndProbe("import 'wsdriver/drafts'; import { Driver } from 'wsdriver';", false);
    expect(result).toMatch("import 'wsdriver/drafts'");
  });

  it('enableDrafts() works even where the side-effect hint is ignored', async () => {
    const { result } = await bundleAndProbe(
      "import { enableDrafts } from 'wsdriver/drafts'; import { Driver } from 'wsdriver'; enableDrafts();",
      false,
    );
    expect(result).toBe('ok');
  });

  it('leaves the drafts out of a bundle that never imports them', async () => {
    const { result, code } = await bundleAndProbe("import { Driver } from 'wsdriver';", packageJson['sideEffects']);
    expect(result).toMatch("import 'wsdriver/drafts'");
    expect(code).not.toContain('Web Socket Protocol Handshake');
    expect(code).not.toContain('Sec-WebSocket-Key1');
  });
});
