/**
 * Interop with Python websockets 10.4 (Debian's python3-websockets, run
 * with /usr/bin/python3): its echo server against a wsdriver client, and
 * its echo client against a wsdriver server, on 127.0.0.1.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServerDriver, HybiClientDriver } from '../../lib/index.js';
import { connect } from '../../lib/adapters/node/index.js';
import { peerAvailable, PYTHON_WEBSOCKETS } from '../helpers/peers.js';
import { Cleanup, Inbox, next, patternBytes, spawnPeer, wsdriverServer } from './support.js';

const PYTHON = PYTHON_WEBSOCKETS.path;
const PEERS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peers');
const hasWebsockets = peerAvailable(PYTHON_WEBSOCKETS);

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Reads a child's stdout as JSON lines. */
class JsonLines {
  readonly #lines: unknown[] = [];
  readonly #waiters: Array<() => void> = [];
  #exited = false;

  constructor(readonly child: ChildProcess & { stderrText: () => string }) {
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        this.#lines.push(JSON.parse(buffer.slice(0, end)));
        buffer = buffer.slice(end + 1);
      }
      this.#wake();
    });
    child.once('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  async next(): Promise<Record<string, unknown>> {
    while (this.#lines.length === 0) {
      if (this.#exited) throw new Error(`the Python peer exited: ${this.child.stderrText()}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#lines.shift() as Record<string, unknown>;
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

const MESSAGES: Array<string | Uint8Array> = [
  'hello',
  '',
  'héllo wörld ✓ 😀 𝄞'.repeat(50),
  ...[0, 125, 126, 65535, 65536, 1024 * 1024].map((size) => patternBytes(size, size)),
];

/** Sends each message and checks it comes back, in order and as sent. */
async function expectEchoes(driver: HybiClientDriver | HttpServerDriver, inbox: Inbox): Promise<void> {
  for (const message of MESSAGES) {
    if (typeof message === 'string') driver.text(message);
    else driver.binary(message);
  }
  const echoed = await inbox.take(MESSAGES.length);
  expect(echoed.map(describe_)).toEqual(MESSAGES.map(describe_));
  for (let i = 0; i < MESSAGES.length; i++) expect(sameMessage(echoed[i]!, MESSAGES[i]!), `message ${i}`).toBe(true);
}

/** Same type and content (Buffer.equals: deep equality on 1 MiB is slow). */
function sameMessage(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** A short label so a mismatch is readable. */
function describe_(message: string | Uint8Array): string {
  return typeof message === 'string' ? `text(${message.length})` : `binary(${message.length})`;
}

describe.skipIf(!hasWebsockets)('wsdriver client → Python websockets server', () => {
  async function start(): Promise<{ driver: HybiClientDriver; python: JsonLines }> {
    const python = new JsonLines(spawnPeer(cleanup, PYTHON, [path.join(PEERS, 'echo_server.py')]));
    const { port } = (await python.next()) as { port: number };
    const driver = connect(`ws://127.0.0.1:${port}/`, { protocols: ['chat'] });
    cleanup.add(() => driver.transportClosed());
    await next(driver, 'open');
    return { driver, python };
  }

  it('opens with the agreed subprotocol and gets back text, binary and 1 MiB messages', async () => {
    const { driver } = await start();
    expect(driver.protocol).toBe('chat');
    await expectEchoes(driver, new Inbox(driver));
  });

  it('gets back a message it sent in fragments', async () => {
    const python = new JsonLines(spawnPeer(cleanup, PYTHON, [path.join(PEERS, 'echo_server.py')]));
    const { port } = (await python.next()) as { port: number };
    const driver = connect(`ws://127.0.0.1:${port}/`, { fragmentSize: 100 });
    cleanup.add(() => driver.transportClosed());
    const inbox = new Inbox(driver);
    driver.text('😀'.repeat(1000));
    expect(await inbox.take(1)).toEqual(['😀'.repeat(1000)]);
  });

  it('runs the ping() callback when Python answers', async () => {
    const { driver } = await start();
    await new Promise<void>((resolve, reject) => expect(driver.ping('py?', (error) => (error ? reject(error) : resolve()))).toBe(true));
  });

  it.each([
    [1000, 'done'],
    [1001, 'leaving'],
    [3000, 'registered'],
    [4999, 'private ✓'],
  ])('closes with %i: Python reports code and reason, and the close is clean', async (code, reason) => {
    const { driver, python } = await start();
    const closed = next(driver, 'close');
    driver.close(code, reason);
    expect(await closed).toMatchObject({ code, wasClean: true });
    expect(await python.next()).toEqual({ closed: code, reason });
  });

  it.each([
    [1000, 'bye'],
    [1001, 'going away'],
    [3000, ''],
    [4999, 'private ✓'],
  ])('Python closes with %i: the client reports code and reason', async (code, reason) => {
    const { driver, python } = await start();
    const closed = next(driver, 'close');
    driver.text(`close ${code} ${reason}`);
    expect(await closed).toEqual({ code, reason, wasClean: true });
    expect(await python.next()).toMatchObject({ closed: code });
  });
});

describe.skipIf(!hasWebsockets)('Python websockets client → wsdriver server', () => {
  async function start(): Promise<{ driver: HttpServerDriver; python: JsonLines }> {
    const server = await wsdriverServer(cleanup, { protocols: ['chat'] });
    const python = new JsonLines(spawnPeer(cleanup, PYTHON, [path.join(PEERS, 'echo_client.py'), server.url]));
    const driver = await server.nextDriver();
    expect(await python.next()).toEqual({ open: true, subprotocol: 'chat' });
    return { driver, python };
  }

  it('agrees on the subprotocol and gets back text, binary and 1 MiB messages', async () => {
    const { driver } = await start();
    expect(driver.protocol).toBe('chat');
    await expectEchoes(driver, new Inbox(driver));
  });

  it('runs the ping() callback when Python answers', async () => {
    const { driver } = await start();
    await new Promise<void>((resolve, reject) => expect(driver.ping('py?', (error) => (error ? reject(error) : resolve()))).toBe(true));
  });

  it.each([
    [1000, 'done'],
    [1001, 'shutting down'],
    [3000, 'registered'],
    [4999, 'private ✓'],
  ])('closes with %i: Python reports code and reason, and the close is clean', async (code, reason) => {
    const { driver, python } = await start();
    const closed = next(driver, 'close');
    driver.close(code, reason);
    expect(await closed).toMatchObject({ code, wasClean: true });
    expect(await python.next()).toEqual({ closed: code, reason });
  });

  it.each([
    [1000, 'bye'],
    [1001, 'leaving'],
    [3000, ''],
    [4999, 'private ✓'],
  ])('Python closes with %i: the server reports code and reason', async (code, reason) => {
    const { driver, python } = await start();
    const closed = next(driver, 'close');
    driver.text(`close ${code} ${reason}`);
    expect(await closed).toEqual({ code, reason, wasClean: true });
    expect(await python.next()).toMatchObject({ closed: code });
  });
});
