/**
 * The HTTP/2 example of docs/http2.md runs as written (with the package
 * imports pointed at lib/), and the README shows the same program.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The guide's runnable example: its first ts block that imports node:http2. */
async function guideExample(): Promise<string> {
  const guide = await readFile(path.join(ROOT, 'docs/http2.md'), 'utf8');
  const match = /```ts\n(import http2[\s\S]*?)```/.exec(guide);
  if (match === null) throw new Error('docs/http2.md has no node:http2 example');
  return match[1]!;
}

describe('docs/http2.md', () => {
  it('has an example that echoes over HTTP/2 and closes cleanly', async () => {
    const source = (await guideExample())
      .replaceAll("'wsdriver/node'", `'${path.join(ROOT, 'lib/adapters/node/index.ts')}'`)
      .replaceAll("'wsdriver'", `'${path.join(ROOT, 'lib/index.ts')}'`);
    const dir = await mkdtemp(path.join(tmpdir(), 'wsdriver-h2-example-'));
    try {
      const file = path.join(dir, 'http2-example.ts');
      await writeFile(file, source);
      const env = { ...process.env };
      delete env['PORT'];
      const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), [file], { cwd: ROOT, env, timeout: 30_000 });
      expect(stdout.trim().split('\n')).toEqual(['echo: Hello over HTTP/2 | subprotocol: chat', 'closed 1000 true']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('is the example the README shows', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## WebSocket over HTTP/2'));
    expect(section).toContain('```ts\n' + (await guideExample()) + '```');
  });
});
