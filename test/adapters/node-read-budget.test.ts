/**
 * The read budget (lib/adapters/node/read-budget.ts): a socket reading
 * into the shared buffer is read in one event-loop turn until a run of
 * full reads passes READ_BUDGET (at most READ_BUDGET plus one read), then
 * reads again after the turn's other work, over real
 * loopback sockets with `ws` as the peer. Turns are counted with
 * setImmediate ticks (each tick ends one poll phase), not with a clock.
 * A pause by the application (the driver's, or the socket's own) must
 * win over the budget's restart.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerSideDriver } from '../../lib/index.js';
import { handleUpgrade } from '../../lib/adapters/node/index.js';
import { READ_BUFFER_SIZE, readsIntoSharedBuffer, resumeSharedReads } from '../../lib/adapters/node/read-buffer.js';
import { READ_BUDGET, setReadBudget } from '../../lib/adapters/node/read-budget.js';
import { Cleanup, listen, next, once, patternBytes } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => {
  setReadBudget(READ_BUDGET);
  return cleanup.run();
});

const MiB = 1024 * 1024;

/** A server driver (`handleUpgrade`) and a `ws` client, open, the server's socket reading into the shared buffer. */
async function connection(): Promise<{ ws: WebSocket; driver: ServerSideDriver; socket: net.Socket; messages: Uint8Array[] }> {
  const server = cleanup.server(http.createServer());
  const upgraded = new Promise<{ driver: ServerSideDriver; socket: net.Socket }>((resolve) => {
    server.on('upgrade', (request, socket, head) => resolve({ driver: handleUpgrade(request, socket, head, { maxLength: 8 * MiB }), socket: socket as net.Socket }));
  });
  const port = await listen(server);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  cleanup.add(() => ws.terminate());
  const { driver, socket } = await upgraded;
  const messages: Uint8Array[] = [];
  driver.on('message', (event) => void messages.push(event.data as Uint8Array));
  await once(ws as unknown as NodeJS.EventEmitter, 'open');
  // The socket switches to the shared buffer at its first read once open.
  ws.send('first');
  await until(() => messages.length === 1, 'the first message');
  expect(readsIntoSharedBuffer(socket)).toBe(true);
  messages.length = 0;
  return { ws, driver, socket, messages };
}

/** The payload bytes the driver is given in each event-loop turn while `work` runs, until `done()`. */
async function bytesPerTurn(driver: ServerSideDriver, work: () => void, done: () => boolean): Promise<number[]> {
  let turn = 0;
  const turns: number[] = [];
  const parse = driver.parse.bind(driver);
  driver.parse = (bytes: Uint8Array) => {
    turn += bytes.length;
    parse(bytes);
  };
  work();
  // Let the kernel queue what was sent before the server's first read (client and server share this thread).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  await new Promise<void>((resolve, reject) => {
    const limit = Date.now() + 10_000;
    const tick = () => {
      turns.push(turn);
      turn = 0;
      if (done()) resolve();
      else if (Date.now() > limit) reject(new Error('timed out'));
      else setImmediate(tick);
    };
    setImmediate(tick);
  });
  return turns;
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** True when each message received is the one sent (compared whole). */
function sameMessages(got: readonly Uint8Array[], sent: readonly Uint8Array[]): boolean {
  return got.length === sent.length && sent.every((bytes, i) => Buffer.compare(Buffer.from(got[i]!), bytes) === 0);
}

const sixteenMessages = () => Array.from({ length: 16 }, (_, i) => patternBytes(MiB, i));

describe('one connection streaming bulk data is read for at most the budget per event-loop turn', () => {
  it(`with the default budget no turn gives the driver more than ${READ_BUDGET / MiB} MiB and one read, and every message arrives exact`, async () => {
    const { ws, driver, messages } = await connection();
    const sent = sixteenMessages();
    const turns = await bytesPerTurn(driver, () => sent.forEach((bytes) => ws.send(bytes)), () => messages.length === sent.length);
    expect(sameMessages(messages, sent)).toBe(true);
    // The budget was reached, not merely never approached: some turn read the whole of it.
    expect(Math.max(...turns)).toBe(READ_BUDGET + READ_BUFFER_SIZE);
  });

  it('without it, a turn reads more (the measurement sees what the budget prevents)', async () => {
    setReadBudget(0);
    const { ws, driver, messages } = await connection();
    const sent = sixteenMessages();
    const turns = await bytesPerTurn(driver, () => sent.forEach((bytes) => ws.send(bytes)), () => messages.length === sent.length);
    expect(sameMessages(messages, sent)).toBe(true);
    expect(Math.max(...turns)).toBeGreaterThan(READ_BUDGET + READ_BUFFER_SIZE);
  });

  it('a smaller budget is kept too, and other connections are read between the bulk reads', async () => {
    setReadBudget(256 * 1024);
    const bulk = await connection();
    const small = await connection();
    const sent = sixteenMessages();
    // The small connection's message is sent after the bulk's 16 MiB, and still arrives before the bulk's last.
    let bulkWhenSmallArrived = -1;
    small.driver.on('message', () => (bulkWhenSmallArrived = bulk.messages.length));
    const turns = await bytesPerTurn(
      bulk.driver,
      () => {
        sent.forEach((bytes) => bulk.ws.send(bytes));
        small.ws.send(new Uint8Array(16));
      },
      () => bulk.messages.length === sent.length && small.messages.length === 1,
    );
    expect(sameMessages(bulk.messages, sent)).toBe(true);
    expect(Math.max(...turns)).toBe(512 * 1024);
    expect(bulkWhenSmallArrived).toBeGreaterThanOrEqual(0);
    expect(bulkWhenSmallArrived).toBeLessThan(sent.length);
  });
});

describe("the application's pause wins over the budget's", () => {
  it('a driver paused in the read that spent the budget gets nothing until it resumes; the socket reads only into its bounded buffer meanwhile', async () => {
    // Every full read passes the budget, so the pause always falls in such a read.
    setReadBudget(1);
    const { ws, driver, socket, messages } = await connection();
    const sent = sixteenMessages();
    driver.on('message', () => {
      if (messages.length === 2) driver.pause();
    });
    sent.forEach((bytes) => ws.send(bytes));
    await until(() => messages.length === 2, 'two messages');
    // Many turns pass: the budget's restart must not hand the paused driver anything.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(messages.length).toBe(2);
    expect(driver.isPaused).toBe(true);
    // What a paused connection holds stays bounded: the rest of one read in the driver, the stream's own buffer.
    expect(driver.retainedBytes + socket.readableLength).toBeLessThanOrEqual(256 * 1024 + socket.readableHighWaterMark + 256 * 1024);
    driver.resume();
    await until(() => messages.length === sent.length, 'every message after resume');
    expect(sameMessages(messages, sent)).toBe(true);
  });

  it("a driver paused when the budget stopped its socket still hears the peer leave (close 1006), as a paused socket of Node's own does", async () => {
    const { ws, driver, socket } = await connection();
    const closed = next(driver, 'close');
    driver.pause();
    // What Node does when the read callback returns false, then the budget's restart from setImmediate.
    const handle = (socket as unknown as { _handle: { reading: boolean; readStop(): number } })._handle;
    handle.reading = false;
    handle.readStop();
    resumeSharedReads(socket);
    expect(handle.reading).toBe(true);
    (ws as unknown as { _socket: net.Socket })._socket.end();
    expect((await closed).code).toBe(1006);
  });

  it("a socket paused with its own pause() in the read that spent the budget is not read again until its resume()", async () => {
    setReadBudget(1);
    const { ws, socket, driver, messages } = await connection();
    const sent = sixteenMessages();
    driver.on('message', () => {
      if (messages.length === 2) socket.pause();
    });
    sent.forEach((bytes) => ws.send(bytes));
    await until(() => messages.length >= 2, 'two messages');
    const read = socket.bytesRead;
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.bytesRead).toBe(read);
    expect(messages.length).toBeLessThan(sent.length);
    socket.resume();
    await until(() => messages.length === sent.length, 'every message after resume');
    expect(sameMessages(messages, sent)).toBe(true);
  });
});

describe("the budget's restart is Node's own", () => {
  it('a read that fails to start destroys the socket with the error Node gives any read it starts (read EBADF, its code and errno)', async () => {
    const { socket } = await connection();
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
    const handle = (socket as unknown as { _handle: { reading: boolean; readStop(): number; readStart(): number } })._handle;
    // As the budget leaves it: the handle stopped. Its next start fails as libuv's does on a bad descriptor.
    handle.reading = false;
    handle.readStop();
    handle.readStart = () => -9; // UV_EBADF
    resumeSharedReads(socket);
    const error = await failed;
    expect({ message: error.message, code: error.code, errno: error.errno, syscall: error.syscall }).toEqual({ message: 'read EBADF', code: 'EBADF', errno: -9, syscall: 'read' });
  });
});
