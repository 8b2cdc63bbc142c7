/**
 * The runnable examples in docs/callbacks.md, run as they are written
 * (imports pointed at lib/), each in its own process with tsx.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, spawnPeer } from '../interop/support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LIB = path.join(ROOT, 'lib');

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The guide's TypeScript blocks that start a server: the runnable examples. */
function runnableExamples(): string[] {
  const guide = readFileSync(path.join(ROOT, 'docs/callbacks.md'), 'utf8');
  return [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((code) => code.includes('.listen(0,'));
}

/** Runs an example with the package's subpaths mapped to lib/; resolves with its stdout lines. */
async function run(code: string): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  const source = code
    .replaceAll("'wsdriver/callbacks'", `'${path.join(LIB, 'adapters/callbacks/index.js')}'`)
    .replaceAll("'wsdriver/node'", `'${path.join(LIB, 'adapters/node/index.js')}'`)
    .replaceAll("'wsdriver'", `'${path.join(LIB, 'index.js')}'`);
  const dir = mkdtempSync(path.join(tmpdir(), 'wsdriver-callbacks-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'example.ts');
  writeFileSync(file, source);
  const child = spawnPeer(cleanup, process.execPath, ['--import', 'tsx', file]);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { lines: stdout.trim().split('\n'), code: exitCode, stderr: child.stderrText() };
}

describe('docs/callbacks.md', () => {
  it('has two runnable examples, over node:net and under http upgrade', () => {
    const examples = runnableExamples();
    expect(examples).toHaveLength(2);
    expect(examples[0]).toContain('net.createServer');
    expect(examples[1]).toContain("server.on('upgrade'");
  });

  it('the node:net chat: the echo, the goodbye from onShutdown, 1001 on both sides, and the shutdown settling last', async () => {
    const result = await run(runnableExamples()[0]!);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.lines.slice(0, 2)).toEqual(['peer got: hello', 'peer got: the server is going away, goodbye']);
    expect(result.lines.slice(2).sort()).toEqual(['all closed', 'closed 1001', 'peer closed with 1001'].sort());
    expect(result.lines.at(-1)).toBe('all closed');
  }, 30_000);

  it('the http upgrade download: all 8 MiB arrive in slices, then a clean close', async () => {
    const result = await run(runnableExamples()[1]!);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.lines).toEqual(['1000 done 8388608']);
  }, 30_000);
});
