/**
 * An application bundled to CommonJS from `import` statements gets dist/esm
 * (the "import" condition) with `import.meta.url` left undefined (esbuild's
 * empty-import-meta). The Node entry fetches Node's modules through
 * lib/adapters/node/builtins.ts (node:http, net, stream and buffer as it
 * loads; node:tls, zlib and crypto when first needed): that must neither
 * throw on load nor fail when a `wss:` client first needs node:tls, with
 * or without `process.getBuiltinModule` (Node 20.16+).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'wsdriver-bundled-'));
const outfile = path.join(dir, 'app.cjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A wss: client to a port nothing listens on reaches node:tls and fails
// with the kernel's refusal (close 1006).
const app = `
import { connect } from 'wsdriver/node';
const driver = connect('wss://127.0.0.1:1/');
driver.on('error', (error) => console.log('error', error.code, error.cause?.code));
driver.on('close', (event) => console.log('close', event.code));
`;

let warnings: string[] = [];
beforeAll(async () => {
  // An `import` resolves `wsdriver/node` through "import": dist/esm.
  const result = await build({
    stdin: { contents: app, resolveDir: root, sourcefile: 'app.mjs' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  warnings = result.warnings.map((w) => w.id);
});

function runBundle(before = ''): { stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['-e', `${before} require(${JSON.stringify(outfile)});`], { encoding: 'utf8', timeout: 20_000 });
}

describe('the Node entry bundled to CommonJS from its ES modules', () => {
  it('loads, and loads node:tls when a wss: client first needs it', () => {
    expect(warnings).toContain('empty-import-meta');
    const child = runBundle();
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('error TRANSPORT_ERROR ECONNREFUSED');
    expect(child.stdout).toContain('close 1006');
  });

  it('loads on a Node without process.getBuiltinModule, through a require made from the bundle\'s __filename', () => {
    const child = runBundle('delete process.getBuiltinModule;');
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('error TRANSPORT_ERROR ECONNREFUSED');
    expect(child.stdout).toContain('close 1006');
  });
});

describe('the Node entry on a Node without process.getBuiltinModule (before 20.16)', () => {
  it('loads node:tls through a require made from its module URL', () => {
    const script = `delete process.getBuiltinModule; ${app.replace(/^import \{ connect \} from 'wsdriver\/node';$/m, "const { connect } = await import('wsdriver/node');")}`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout).toContain('error TRANSPORT_ERROR ECONNREFUSED');
    expect(child.stdout).toContain('close 1006');
  });
});
