/**
 * The runnable examples and the `npm start` demo, run as their own
 * processes (with tsx, as the README says) on ports the OS picks, and
 * the README's copies of the examples kept equal to the files.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Cleanup, firstLine, once, spawnPeer } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Runs examples/<name>.ts with node --import tsx (no wrapper process to outlive a kill). */
function runExample(name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return spawnPeer(cleanup, process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', name), ...args], env);
}

/** Starts a server example on a free port; resolves with its ws: URL. */
async function startServer(name: string) {
  const child = runExample(name, [], { PORT: '0' });
  const line = await firstLine(child);
  const url = /ws:\/\/127\.0\.0\.1:\d+\/\w*/.exec(line)?.[0];
  if (url === undefined) throw new Error(`no URL in ${JSON.stringify(line)}`);
  return { child, url };
}

/** A ws client, open. */
async function wsOpen(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  cleanup.add(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

/** Sends a message and resolves with the reply. */
async function roundTrip(ws: WebSocket, data: string | Uint8Array): Promise<{ data: Buffer; isBinary: boolean }> {
  const reply = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) =>
    ws.once('message', (message: Buffer, isBinary: boolean) => resolve({ data: message, isBinary })),
  );
  ws.send(data);
  return reply;
}

/** Everything a child prints on stdout until it exits, and its exit code. */
function outputOf(child: ReturnType<typeof runExample>): Promise<{ stdout: string; code: number | null }> {
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ stdout, code })));
}

describe('npm start: the echo demo', () => {
  it('is what `npm start` runs', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('tsx examples/echo-server.ts');
  });

  it('listens on 127.0.0.1:8080 unless PORT says otherwise', () => {
    const source = readFileSync(path.join(ROOT, 'examples/echo-server.ts'), 'utf8');
    expect(source).toMatch(/Number\(process\.env\.PORT \?\? 8080\), '127\.0\.0\.1'/);
  });

  it('echoes text and binary messages to a ws client', async () => {
    const { url } = await startServer('echo-server.ts');
    const ws = await wsOpen(url);
    expect(await roundTrip(ws, 'hello, demo ✓')).toEqual({ data: Buffer.from('hello, demo ✓'), isBinary: false });
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff);
    const reply = await roundTrip(ws, bytes);
    expect(reply.isBinary).toBe(true);
    expect(reply.data.equals(Buffer.from(bytes))).toBe(true);
  });

  it('serves the page that talks to it on a plain GET', async () => {
    const { url } = await startServer('echo-server.ts');
    const page = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      http
        .get(url.replace('ws:', 'http:'), (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (text: string) => (body += text));
          response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }));
        })
        .on('error', reject);
    });
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('new WebSocket(');
  });

  it('closes open connections with 1001 when stopped, then exits', async () => {
    const { child, url } = await startServer('echo-server.ts');
    const ws = await wsOpen(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await exited;
  });
});

describe('the examples import the package by name', () => {
  const names = readdirSync(path.join(ROOT, 'examples')).filter((name) => name.endsWith('.ts'));

  it.each(names)('%s imports wsdriver, never ../lib', (name) => {
    const source = readFileSync(path.join(ROOT, 'examples', name), 'utf8');
    expect(source).not.toMatch(/from '\.\.?\//);
    expect(source).toMatch(/from 'wsdriver(\/[a-z]+)?'/);
  });

  it('builds before npm start, and on install from git or a folder (prepare)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prestart).toBe('npm run build');
    expect(pkg.scripts.prepare).toBe('npm run build');
  });

  it('runs when copied out of the repository, next to an installed wsdriver', async () => {
    // A project of its own: the example file and node_modules/wsdriver (the package, linked).
    const project = mkdtempSync(path.join(os.tmpdir(), 'wsdriver-example-'));
    cleanup.add(() => rmSync(project, { recursive: true, force: true }));
    mkdirSync(path.join(project, 'node_modules'));
    symlinkSync(ROOT, path.join(project, 'node_modules', 'wsdriver'), 'dir');
    copyFileSync(path.join(ROOT, 'examples/server-net.ts'), path.join(project, 'server.ts'));
    const child = spawnPeer(cleanup, process.execPath, ['--import', 'tsx', path.join(project, 'server.ts')], { PORT: '0' });
    const line = await firstLine(child);
    const url = /ws:\/\/127\.0\.0\.1:\d+\//.exec(line)?.[0];
    expect(url).toBeDefined();
    const ws = await wsOpen(url!, ['chat']);
    expect(await roundTrip(ws, 'from a copy')).toEqual({ data: Buffer.from('from a copy'), isBinary: false });
  });
});

describe('examples/server-net.ts and examples/client-net.ts', () => {
  it('the client opens to the server, gets its message back, and both close with 1000', async () => {
    const { url } = await startServer('server-net.ts');
    const output = outputOf(runExample('client-net.ts', [url]));
    const { stdout, code } = await output;
    expect(stdout.split('\n')).toEqual([
      'open, subprotocol: chat',
      'received: hello from wsdriver',
      'closed 1000 ',
      '',
    ]);
    expect(code).toBe(0);
  });

  it('the server refuses a plain HTTP request with 426', async () => {
    const { url } = await startServer('server-net.ts');
    const status = await new Promise<number>((resolve, reject) =>
      http.get(url.replace('ws:', 'http:'), (response) => resolve(response.statusCode!)).on('error', reject),
    );
    expect(status).toBe(426);
  });
});

describe('examples/chat-server.ts', () => {
  async function member(url: string, name: string) {
    const ws = new WebSocket(`${url}chat?name=${name}`, ['chat.v1'], { headers: { authorization: 'Bearer secret' } });
    cleanup.add(() => ws.terminate());
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(String(data)));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: String(reason) })),
    );
    await once(ws, 'open');
    return { ws, messages, closed };
  }

  it('welcomes members with the subprotocol, relays to all, and says goodbye with 1001 on SIGINT', async () => {
    const { child, url: listening } = await startServer('chat-server.ts');
    const url = listening.replace(/chat$/, '');
    const ada = await member(url, 'ada');
    const bob = await member(url, 'bob');
    expect(ada.ws.protocol).toBe('chat.v1');
    expect(ada.ws.extensions).toContain('permessage-deflate');
    await expect.poll(() => bob.messages).toEqual(['welcome, bob']);
    ada.ws.send('hi all');
    await expect.poll(() => bob.messages).toEqual(['welcome, bob', 'ada: hi all']);
    await expect.poll(() => ada.messages).toEqual(['welcome, ada', 'ada: hi all']);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    expect(await ada.closed).toEqual({ code: 1001, reason: 'restarting' });
    expect(ada.messages.at(-1)).toBe('the server is restarting');
    await exited;
  });

  it('refuses a request without the token with 401 and WWW-Authenticate, and another path with 404', async () => {
    const { url: listening } = await startServer('chat-server.ts');
    const statusOf = (url: string) =>
      new Promise<{ status: number; challenge: unknown }>((resolve, reject) => {
        const ws = new WebSocket(url);
        cleanup.add(() => ws.terminate());
        ws.on('unexpected-response', (_request, response) => {
          resolve({ status: response.statusCode!, challenge: response.headers['www-authenticate'] });
          response.destroy();
        });
        ws.on('error', (error) => {
          if (!/Unexpected server response/.test(error.message)) reject(error);
        });
      });
    expect(await statusOf(listening)).toEqual({ status: 401, challenge: 'Bearer' });
    expect((await statusOf(listening.replace(/chat$/, 'elsewhere'))).status).toBe(404);
  });
});

describe('examples/rack-upgrade.ts', () => {
  it('echoes to a ws client through the upgrade event', async () => {
    const { url } = await startServer('rack-upgrade.ts');
    const ws = await wsOpen(url + 'chat');
    expect(await roundTrip(ws, 'through node:http')).toEqual({ data: Buffer.from('through node:http'), isBinary: false });
    expect((await roundTrip(ws, Uint8Array.of(0, 255))).data).toEqual(Buffer.from([0, 255]));
  });
});

describe('README', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  /** The README's code block that follows the line naming `file`. */
  function blockFor(file: string): string | undefined {
    const at = readme.indexOf(`\`${file}\``);
    if (at < 0) return undefined;
    const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
    return match?.[1];
  }

  it.each(['examples/server-net.ts', 'examples/client-net.ts', 'examples/rack-upgrade.ts', 'examples/chat-server.ts'])(
    'shows %s as it is, importing from the package',
    (file) => {
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      expect(blockFor(file)).toBe(source);
    },
  );

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm test');
    expect(readme).toContain('npm start');
  });
});
