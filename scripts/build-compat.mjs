// Builds packages/websocket-driver-compat/lib/ from its src/ and the engine
// in lib/:
//
//   lib/websocket/driver.js           the module: src/driver.ts bundled with
//                                     the engine and its dependencies into one
//                                     CommonJS file, so the packed tarball
//                                     installs with no dependency (an
//                                     `overrides` entry pointing at it needs
//                                     nothing else from the registry)
//   lib/websocket/driver/headers.js   the Headers class (faye-websocket's
//                                     EventSource requires this deep path)
//   *.d.ts                            the hand-written types from types/
//
// With --pack it also runs `npm pack` into packages/websocket-driver-compat/
// and prints the tarball's path.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = path.join(root, 'packages/websocket-driver-compat');
const out = path.join(pkg, 'lib/websocket');

rmSync(path.join(pkg, 'lib'), { recursive: true, force: true });
mkdirSync(path.join(out, 'driver'), { recursive: true });

// `export default` becomes the module itself, as websocket-driver's
// `module.exports = ...` is.
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  footer: { js: 'module.exports = module.exports.default;' },
  legalComments: 'inline',
  // The root package.json's sideEffects names dist/ only; the drafts import here registers the hixie drivers.
  ignoreAnnotations: true,
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [path.join(pkg, 'src/driver.ts')], outfile: path.join(out, 'driver.js') });
await build({ ...common, entryPoints: [path.join(pkg, 'src/headers-entry.ts')], outfile: path.join(out, 'driver/headers.js') });
copyFileSync(path.join(pkg, 'types/driver.d.ts'), path.join(out, 'driver.d.ts'));
copyFileSync(path.join(pkg, 'types/headers.d.ts'), path.join(out, 'driver/headers.d.ts'));
copyFileSync(path.join(root, 'LICENSE'), path.join(pkg, 'LICENSE'));

if (process.argv.includes('--pack')) {
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', pkg], { cwd: pkg, encoding: 'utf8' });
  if (packed.status !== 0) {
    console.error(packed.stderr);
    process.exit(1);
  }
  console.log(path.join(pkg, JSON.parse(packed.stdout)[0].filename));
}
