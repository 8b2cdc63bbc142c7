// The package's entry points, read from the `exports` map in package.json,
// which is the single, static source of truth. The build, the pack check and
// typedoc all derive from it, so adding a subpath export is one entry there
// (see docs/DEVELOPING.md).
//
// Each subpath must have this shape:
//   "./name": {
//     "import":  { "types": "./dist/esm/X.d.ts", "default": "./dist/esm/X.js" },
//     "require": { "types": "./dist/cjs/X.d.ts", "default": "./dist/cjs/X.js" }
//   }
// and its source is lib/X.ts. A portable entry (one that runs in browsers
// and workers) also has, first, the browser build:
//     "browser": { "types": "./dist/esm/X.d.ts", "default": "./dist/browser/NAME.js" },

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * @typedef {{ subpath: string, source: string, esm: string, esmTypes: string, cjs: string, cjsTypes: string, browser?: string }} Entry
 * All paths relative to the package root, without a leading "./"; `browser`
 * only for a portable entry.
 * @returns {Entry[]}
 */
export function entries() {
  const result = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target === 'string') continue; // e.g. "./package.json"
    const esm = target?.import?.default;
    const esmTypes = target?.import?.types;
    const cjs = target?.require?.default;
    const cjsTypes = target?.require?.types;
    const m = /^\.\/dist\/esm\/(.+)\.js$/.exec(esm ?? '');
    if (!m) {
      throw new Error(`exports["${subpath}"].import.default must be ./dist/esm/<path>.js, got ${JSON.stringify(esm)}`);
    }
    const stem = m[1];
    const expected = {
      'import.types': [esmTypes, `./dist/esm/${stem}.d.ts`],
      'require.default': [cjs, `./dist/cjs/${stem}.js`],
      'require.types': [cjsTypes, `./dist/cjs/${stem}.d.ts`],
    };
    for (const [key, [actual, want]] of Object.entries(expected)) {
      if (actual !== want) {
        throw new Error(`exports["${subpath}"].${key} must be ${want}, got ${JSON.stringify(actual)}`);
      }
    }
    const strip = (p) => p.replace(/^\.\//, '');
    let browser;
    if (target.browser !== undefined) {
      if (Object.keys(target)[0] !== 'browser') throw new Error(`exports["${subpath}"].browser must come first`);
      if (target.browser.types !== esmTypes) throw new Error(`exports["${subpath}"].browser.types must be ${esmTypes}`);
      if (!/^\.\/dist\/browser\/[\w-]+\.js$/.test(target.browser.default ?? '')) {
        throw new Error(`exports["${subpath}"].browser.default must be ./dist/browser/<name>.js`);
      }
      browser = strip(target.browser.default);
    }
    result.push({
      subpath,
      source: `lib/${stem}.ts`,
      esm: strip(esm),
      esmTypes: strip(esmTypes),
      cjs: strip(cjs),
      cjsTypes: strip(cjsTypes),
      ...(browser !== undefined ? { browser } : {}),
    });
  }
  if (result.length === 0) throw new Error('package.json exports lists no entry point');
  return result;
}
