// What each portable entry costs an application bundled for browsers: the
// entry imported whole, and an app that imports only `Driver`, each bundled
// by esbuild (--bundle --minify --platform=browser, so the package's
// "browser" condition applies), then gzip -9. Run after `npm run build`:
//
//   node scripts/browser-sizes.mjs     prints the table for docs/runtimes.md
//
// test/runtimes/browser-size.test.ts holds the Driver-only app to its budget.

import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import { build } from 'esbuild';
import { entries, pkg, root } from './entries.mjs';

/** The applications measured: a name and its source. */
export function applications() {
  const apps = [
    { name: 'app importing only `Driver`', source: `import { Driver } from '${pkg.name}';\nglobalThis.out = Driver;\n` },
    {
      name: 'app importing `Driver` and, for its side effect, `wsdriver/drafts`',
      source: `import '${pkg.name}/drafts';\nimport { Driver } from '${pkg.name}';\nglobalThis.out = Driver;\n`,
    },
  ];
  for (const entry of entries().filter((e) => e.browser !== undefined)) {
    const specifier = entry.subpath === '.' ? pkg.name : `${pkg.name}/${entry.subpath.slice(2)}`;
    apps.push({ name: `\`${specifier}\`, every export`, source: `export * from '${specifier}';\n` });
  }
  return apps;
}

/**
 * Bundles each application against this checkout's package (linked into a
 * scratch node_modules, so the exports map applies as for a user).
 * @returns {Promise<Array<{ name: string, minified: number, gzipped: number, code: string }>>}
 */
export async function measure() {
  const scratch = mkdtempSync(path.join(tmpdir(), 'wsdriver-sizes-'));
  try {
    mkdirSync(path.join(scratch, 'node_modules'));
    symlinkSync(root, path.join(scratch, 'node_modules', pkg.name), 'dir');
    const results = [];
    for (const app of applications()) {
      const out = await build({
        stdin: { contents: app.source, resolveDir: scratch, sourcefile: 'app.js' },
        bundle: true,
        minify: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
      });
      const code = out.outputFiles[0].contents;
      const gzipped = gzipSync(code, { level: constants.Z_BEST_COMPRESSION }).length;
      results.push({ name: app.name, minified: code.length, gzipped, code: new TextDecoder().decode(code) });
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  console.log('| bundle | minified | gzip -9 |\n| --- | ---: | ---: |');
  for (const r of await measure()) console.log(`| ${r.name} | ${kb(r.minified)} | ${kb(r.gzipped)} |`);
}
