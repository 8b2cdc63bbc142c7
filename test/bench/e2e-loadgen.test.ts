/**
 * The end-to-end benchmark's load generator (bench/e2e/loadgen.ts), run as
 * run.ts runs it (its own process, driven over IPC) against small raw TCP
 * servers in this process: a server that answers right is counted, and one
 * that corrupts or repeats a message fails the run instead of being
 * counted. (The raw protocol is the benchmark's limit line: one accept
 * byte, then payloads with no framing.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { directWriter } from '../../bench/e2e/direct-writes.js';
import type { LoadResult, RunRequest, Workload } from '../../bench/e2e/shared.js';

const LOADGEN = path.join(import.meta.dirname, '..', '..', 'bench', 'e2e', 'loadgen.ts');

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function listen(server: net.Server): Promise<number> {
  stops.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** Runs one workload through a fresh load generator, answering its checkpoints; its result or its error text. */
async function runLoad(port: number, workload: Workload): Promise<{ result?: LoadResult; error?: string }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', LOADGEN], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  stops.push(() => child.kill());
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the load generator exited (${code})`)));
    child.on('message', (message: { type: string; label?: string; result?: LoadResult; error?: string }) => {
      if (message.type === 'ready') child.send({ type: 'run', port, raw: true, workload } satisfies RunRequest);
      else if (message.type === 'checkpoint') child.send({ type: 'continue', label: message.label });
      else if (message.type === 'result') resolve({ result: message.result, error: message.error });
    });
  });
}

const window = { warmupMs: 50, windowMs: 200 };

describe('the load generator against echo servers', () => {
  /**
   * Echoes what it reads; with `corruptAt`, the byte at that offset of the
   * first accepted connection's replies is flipped; with `drop`, that
   * connection leaves the request that holds its 100th byte unanswered.
   */
  function echoServer(corruptAt?: number, drop = false): net.Server {
    let first = true;
    return net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write('!');
      let sent = 0;
      const corrupting = first && corruptAt !== undefined;
      const dropping = first && drop;
      first = false;
      socket.on('data', (chunk) => {
        if (dropping && sent <= 100 && 100 < sent + chunk.length) {
          sent += chunk.length;
          return; // this request is never answered
        }
        const reply = Buffer.from(chunk);
        if (corrupting && corruptAt >= sent && corruptAt < sent + reply.length) reply[corruptAt - sent]! ^= 0x01;
        sent += reply.length;
        socket.write(reply);
      });
    });
  }

  it('counts the round trips of a server that echoes right', async () => {
    const port = await listen(echoServer());
    const { result, error } = await runLoad(port, { type: 'echo', connections: 4, size: 16, binary: false, ...window });
    expect(error).toBeUndefined();
    expect(result!.messages).toBeGreaterThan(0);
    expect(result!.p50).toBeGreaterThan(0);
  });

  it('fails the run when a reply has a wrong byte, saying where', async () => {
    const port = await listen(echoServer(16 * 3 + 5));
    const { error } = await runLoad(port, { type: 'echo', connections: 4, size: 16, binary: false, ...window });
    expect(error).toMatch(/connection \d: byte 53 of what the server sent is not the expected reply/);
  });

  it('fails the run when a request is never answered', async () => {
    const port = await listen(echoServer(undefined, true));
    const { error } = await runLoad(port, { type: 'echo', connections: 4, size: 16, binary: false, ...window, settleLimitMs: 300 });
    expect(error).toMatch(/echo: 1 requests had no reply 300 ms after the window/);
  });
});

describe('the load generator’s writes (bench/e2e/direct-writes.ts)', () => {
  it('delivers requests whole when the kernel cannot take them at once', async () => {
    // 8 MiB requests to a server that reads nothing for its first 300 ms: the writes cannot all be taken at once.
    const size = 8 * 1024 * 1024;
    const received: number[] = [];
    const port = await listen(
      net.createServer((socket) => {
        socket.on('error', () => {});
        socket.write('!');
        const index = received.push(0) - 1;
        socket.pause();
        setTimeout(() => socket.resume(), 300);
        socket.on('data', (chunk) => {
          received[index]! += chunk.length;
          socket.write(chunk);
        });
      }),
    );
    const { result, error } = await runLoad(port, { type: 'echo', connections: 2, size, binary: true, warmupMs: 50, windowMs: 600 });
    expect(error).toBeUndefined();
    expect(result!.messages).toBeGreaterThan(0);
    // Every request the server read was whole (the load generator checked every reply byte for byte, too).
    for (const bytes of received) expect(bytes % size).toBe(0);
  });

  it('fails the run when the server resets the connection', async () => {
    // Echoes the first request and resets the connection in the same step. The
    // load generator's next write fails, or (when the reset reaches its read
    // first) that request is never answered: either way the run fails. Which
    // one depends on when the reset arrives; the writer's own report of a
    // refused write is the next test's.
    const port = await listen(
      net.createServer((socket) => {
        socket.on('error', () => {});
        socket.write('!');
        socket.once('data', (chunk) => {
          socket.write(chunk);
          socket.resetAndDestroy();
        });
      }),
    );
    const { error } = await runLoad(port, { type: 'echo', connections: 1, size: 16, binary: false, warmupMs: 50, windowMs: 200, settleLimitMs: 2000 });
    expect(error).toMatch(/connection 0: write to the server failed|1 requests had no reply/);
  });

  it('reports a write the kernel refuses', async () => {
    const port = await listen(
      net.createServer((socket) => {
        socket.on('error', () => {});
        // Reset at the first byte, once the client is surely connected.
        socket.once('data', () => socket.resetAndDestroy());
      }),
    );
    const socket = net.connect(port, '127.0.0.1');
    stops.push(() => socket.destroy());
    socket.on('error', () => {});
    // Paused before it connects, the socket never reads: the reset stays unread,
    // the handle stays open, and only a write can meet it.
    socket.pause();
    await once(socket, 'connect');
    let failure: Error | undefined;
    const write = directWriter(socket, (error) => (failure ??= error));
    // The first write draws the reset; writes before it has arrived are accepted, the first after it is refused.
    for (let i = 0; i < 500 && failure === undefined; i++) {
      write(Buffer.from('x'));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(failure?.message).toMatch(/^write to the server failed \(-\d+\)$/);
  });
});

describe('the load generator against broadcast servers', () => {
  /**
   * Sends `size` bytes to every client for each byte a client sends; the
   * fault, if any, touches the third broadcast to the last client accepted.
   */
  function broadcastServer(size: number, fault?: 'twice' | 'corrupt' | 'drop'): net.Server {
    const clients: net.Socket[] = [];
    let broadcasts = 0;
    return net.createServer((socket) => {
      socket.on('error', () => {});
      clients.push(socket);
      socket.write('!');
      socket.on('data', (chunk) => {
        for (let i = 0; i < chunk.length; i++) {
          broadcasts++;
          for (const [index, client] of clients.entries()) {
            const message = Buffer.alloc(size, 'x');
            const faulty = broadcasts === 3 && index === clients.length - 1;
            if (faulty && fault === 'corrupt') message[size - 1] = 0x79;
            if (faulty && fault === 'drop') continue;
            client.write(message);
            if (faulty && fault === 'twice') client.write(message);
          }
        }
      });
    });
  }

  const workload: Workload = { type: 'broadcast', connections: 4, size: 64, deflate: false, inFlight: 4, ...window };

  it('counts every client’s deliveries of a server that broadcasts right, and every broadcast settles', async () => {
    const port = await listen(broadcastServer(64));
    const { result, error } = await runLoad(port, workload);
    expect(error).toBeUndefined();
    expect(result!.messages).toBeGreaterThan(0);
    expect(result!.unfinished).toBe(0);
    expect(result!.settleMs).toBeGreaterThanOrEqual(0);
  });

  it('fails the run when one client’s copy has a wrong byte', async () => {
    const port = await listen(broadcastServer(64, 'corrupt'));
    const { error } = await runLoad(port, workload);
    expect(error).toMatch(/connection \d: byte 191 of what the server sent is not the expected broadcast frame/);
  });

  it('reports the broadcasts that never reached every client when one client misses one', async () => {
    const port = await listen(broadcastServer(64, 'drop'));
    const { result, error } = await runLoad(port, { ...workload, settleLimitMs: 300 });
    expect(error).toBeUndefined();
    // The missed one and every one after it: that client is one short of each.
    expect(result!.unfinished).toBeGreaterThan(0);
    expect(result!.settleMs).toBeUndefined();
  });

  it('fails the run when a client receives a broadcast twice', async () => {
    const port = await listen(broadcastServer(64, 'twice'));
    const { error } = await runLoad(port, workload);
    expect(error).toMatch(/a client received \d+ broadcasts, \d+ were asked for/);
  });
});
