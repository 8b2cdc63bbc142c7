// Checks the package as users receive it (run by `npm run test:pack`):
//   1. builds, then packs the tarball with `npm pack`;
//   2. publint on the tarball (packaging mistakes);
//   3. @arethetypeswrong/cli on the tarball (types per resolution mode);
//   4. installs the tarball into a scratch project (its dependencies linked
//      from this repo's node_modules, so no network) and loads every entry
//      with both require() and import, checking both expose the same names;
//   5. type-checks a TypeScript consumer of every entry, from ESM (.mts) and
//      from CJS (.cts), with skipLibCheck off, so a published .d.ts that
//      names a type the tarball does not carry is caught.
//
// attw runs with --profile node16: it checks node16/nodenext from CJS and
// from ESM and bundler resolution, but not TypeScript's deprecated `node10`
// resolution, which cannot see subpath exports without per-subpath stubs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { entries, pkg, root } from './entries.mjs';

function run(cmd, args, options = {}) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return r;
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const scratch = mkdtempSync(path.join(tmpdir(), 'wsdriver-pack-'));
try {
  run('npm', ['run', 'build']);

  // --ignore-scripts: built just above; `prepare` would build again and print to stdout, into the JSON.
  const packed = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (packed.status !== 0) throw new Error('npm pack failed');
  const [info] = JSON.parse(packed.stdout);
  const tarball = path.join(scratch, info.filename);
  console.log(`\npacked ${info.filename}: ${info.entryCount} files, ${info.size} bytes`);
  for (const f of info.files) console.log(`  ${f.path}`);

  run(bin('publint'), ['run', tarball, '--strict']);
  run(bin('attw'), [tarball, '--profile', 'node16', '--no-definitely-typed', '--no-emoji', '--no-color']);

  // Install into a scratch consumer project, offline.
  const consumer = path.join(scratch, 'consumer');
  const modules = path.join(consumer, 'node_modules');
  const installed = path.join(modules, pkg.name);
  mkdirSync(installed, { recursive: true });
  writeFileSync(path.join(consumer, 'package.json'), '{"name":"consumer","private":true}\n');
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const from = path.join(root, 'node_modules', dep);
    if (!existsSync(from)) throw new Error(`dependency ${dep} is not installed; run npm ci`);
    const to = path.join(modules, dep);
    mkdirSync(path.dirname(to), { recursive: true });
    symlinkSync(from, to, 'dir');
  }

  const specifiers = entries().map((e) => (e.subpath === '.' ? pkg.name : `${pkg.name}/${e.subpath.slice(2)}`));
  const check = `
    const { createRequire } = await import('node:module');
    const require = createRequire(process.cwd() + '/index.js');
    let bad = 0;
    for (const spec of ${JSON.stringify(specifiers)}) {
      const cjs = Object.keys(require(spec)).filter((k) => k !== '__esModule' && k !== 'default').sort();
      const esm = Object.keys(await import(spec)).filter((k) => k !== 'default').sort();
      const same = JSON.stringify(cjs) === JSON.stringify(esm);
      console.log((same ? 'ok   ' : 'DIFF ') + spec + ': ' + esm.length + ' exports' + (same ? '' : '\\n  cjs: ' + cjs + '\\n  esm: ' + esm));
      if (!same) bad++;
    }
    process.exit(bad ? 1 : 0);
  `;
  run(process.execPath, ['--input-type=module', '-e', check], { cwd: consumer });

  // A TypeScript user with Node's types (linked from this repo) and DOM.
  const typesNode = path.join(modules, '@types', 'node');
  mkdirSync(path.dirname(typesNode), { recursive: true });
  symlinkSync(path.join(root, 'node_modules', '@types', 'node'), typesNode, 'dir');
  const names = specifiers.map((spec, i) => [spec, `e${i}`]);
  writeFileSync(
    path.join(consumer, 'esm.mts'),
    names.map(([spec, id]) => `import * as ${id} from '${spec}';\nexport { ${id} };\n`).join(''),
  );
  writeFileSync(
    path.join(consumer, 'cjs.cts'),
    names.map(([spec, id]) => `import ${id} = require('${spec}');\nexport { ${id} };\n`).join(''),
  );
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['esm.mts', 'cjs.cts'],
    }),
  );
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', consumer], { cwd: consumer });
  console.log('consumer type-check: ok');
  console.log('\ntest:pack: ok');
} catch (err) {
  console.error(`test:pack: ${err.message}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
