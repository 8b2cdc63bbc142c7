// Builds dist/ from lib/:
//
//   dist/esm/  ES modules, one file per source file, each transpiled on its
//              own by esbuild (no bundling, so "." and any subpath share one
//              copy of each module and `instanceof` works across them); the
//              .d.ts files beside them are emitted by tsc (tsconfig.build.json,
//              declarations only), and keep the doc comments.
//   dist/cjs/  the same tree as CommonJS, transpiled the same way, the .d.ts
//              files copied from dist/esm, and a package.json saying
//              {"type": "commonjs"} so Node and TypeScript read both as CJS.
//
//              The JavaScript of both trees has no comments and only ASCII
//              characters: V8 keeps every loaded module's source text, and a
//              source with one character past Latin-1 is kept as a two-byte
//              string, comments included (bench/analysis.md, "What loading
//              wsdriver costs, session 8").
//
//   dist/browser/  the portable entries (those with a "browser" condition)
//              bundled by esbuild as ES modules that a page or a module
//              Worker imports by path, with no bundler or import map: the
//              dependency (@noble/hashes) is resolved here, and code shared by the entries goes into
//              chunks, so each module exists once, as in dist/esm.
//
// Entry points come from package.json "exports" (scripts/entries.mjs); the
// build checks that each has a source file and that every file it names exists.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { withoutComments } from './comment-free.mjs';
import { entries, root } from './entries.mjs';

const dist = path.join(root, 'dist');
const esmDir = path.join(dist, 'esm');
const cjsDir = path.join(dist, 'cjs');
const libDir = path.join(root, 'lib');

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function walk(dir) {
  const out = [];
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, dirent.name);
    if (dirent.isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

const declared = entries();
for (const entry of declared) {
  if (!existsSync(path.join(root, entry.source))) {
    fail(`exports["${entry.subpath}"] needs ${entry.source}, which does not exist`);
  }
}

rmSync(dist, { recursive: true, force: true });

// 1. Declarations (tsconfig.build.json emits nothing else).
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) fail('tsc -p tsconfig.build.json failed');

// 2. ESM and CJS, file by file, from the same sources tsc checked.
const sources = walk(libDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'));
const fileByFile = {
  entryPoints: sources,
  outbase: libDir,
  bundle: false,
  platform: 'neutral',
  target: 'es2022',
  // Escapes every non-ASCII character in strings and regular expressions, so
  // V8 keeps each module's source as a one-byte string.
  charset: 'ascii',
  // No `/*! ... */` or @license comments are kept either; the other comments
  // esbuild keeps are removed below (scripts/comment-free.mjs).
  legalComments: 'none',
  write: false,
  logLevel: 'silent',
};
for (const [format, outdir] of [
  ['esm', esmDir],
  ['cjs', cjsDir],
]) {
  const result = await build({
    ...fileByFile,
    format,
    outdir,
    // A CommonJS module names itself by __filename; createRequire() takes either
    // (lib/adapters/node/builtins.ts).
    ...(format === 'cjs' ? { define: { 'import.meta.url': '__filename' } } : {}),
  });
  // A warning here means the CJS output would behave differently from the ESM
  // output (for example `import.meta` is empty in CJS): treat it as an error.
  if (result.warnings.length > 0 || result.errors.length > 0) {
    const { formatMessages } = await import('esbuild');
    for (const text of await formatMessages([...result.errors, ...result.warnings], { kind: 'error' })) console.error(text);
    fail(`esbuild (${format}) reported problems`);
  }
  for (const file of result.outputFiles) {
    const code = await withoutComments(file.text, path.relative(root, file.path), format);
    // charset 'ascii' escapes strings; this also catches anything it cannot (a comment kept).
    if (/[^\x00-\x7f]/.test(code)) fail(`${path.relative(root, file.path)} has a non-ASCII character`);
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, code);
  }
}
writeFileSync(path.join(cjsDir, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');

// 3. The declarations serve both formats: copy them into the CJS tree, where
//    the nested package.json makes TypeScript read them as CJS declarations.
for (const file of walk(esmDir)) {
  if (!file.endsWith('.d.ts')) continue;
  const target = path.join(cjsDir, path.relative(esmDir, file));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(file, target);
}

// 4. The browser build of the portable entries.
const portable = declared.filter((entry) => entry.browser !== undefined);
const browserBuild = await build({
  entryPoints: Object.fromEntries(portable.map((entry) => [path.basename(entry.browser, '.js'), path.join(root, entry.source)])),
  outdir: path.join(dist, 'browser'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'silent',
});
if (browserBuild.warnings.length > 0 || browserBuild.errors.length > 0) {
  const { formatMessages } = await import('esbuild');
  for (const text of await formatMessages([...browserBuild.errors, ...browserBuild.warnings], { kind: 'error' })) console.error(text);
  fail('esbuild (browser) reported problems');
}

// 5. Every file the exports map names must now exist.
for (const entry of declared) {
  for (const file of [entry.esm, entry.esmTypes, entry.cjs, entry.cjsTypes, ...(entry.browser ? [entry.browser] : [])]) {
    if (!existsSync(path.join(root, file))) fail(`exports["${entry.subpath}"] names ${file}, which the build did not produce`);
  }
}

console.log(`build: dist/esm and dist/cjs from ${sources.length} source files; entries: ${declared.map((e) => e.subpath).join(', ')}`);
