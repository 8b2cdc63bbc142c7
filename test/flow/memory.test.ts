/**
 * Memory under hostile peers, measured on the process (scaled down from
 * the load script in bench/flow; on memory, never on time). The peers run
 * in a child process, so only the server's memory is in the measure:
 * `process.memoryUsage().external` (Buffers and ArrayBuffers, where every
 * held input and unsent output lives).
 *
 * Bounds stated here:
 * - a paused reader, its peer sending 64 MiB: external grows < 8 MiB;
 * - a peer flooding 64 MiB of pings while never reading: < 8 MiB;
 * - 1,000 request heads trickling a byte at a time: all answered 408 at
 *   the handshake deadline, external grows < 16 MiB.
 */
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServerDriver } from '../../lib/index.js';
import { Cleanup, readToEnd, spawnPeer, tcpConnect, wsdriverServer } from '../interop/support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const MiB = 1024 * 1024;
const PEER = fileURLToPath(new URL('./peers/raw-flood.mjs', import.meta.url));
const external = () => process.memoryUsage().external;

/**
 * Runs the flood peer and resolves once it has finished or stalled (the
 * kernel accepted nothing more for 500 ms), with the bytes it got out.
 */
function flood(port: number, mode: 'binary' | 'ping', mib: number): Promise<{ written: number; finished: boolean }> {
  const child = spawnPeer(cleanup, process.execPath, [PEER, String(port), mode, String(mib)]);
  return new Promise((resolve) => {
    let written = 0;
    let lastChange = Date.now();
    let buffer = '';
    const settle = (finished: boolean) => {
      clearInterval(watch);
      resolve({ written, finished });
    };
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === 'done' || line === 'closed') return settle(true);
        const value = Number(line);
        if (value > written) {
          written = value;
          lastChange = Date.now();
        }
      }
    });
    const watch = setInterval(() => {
      if (written > 0 && Date.now() - lastChange > 500) settle(false);
    }, 50);
    child.once('exit', () => settle(true));
  });
}

describe('memory stays bounded', () => {
  it('a paused reader: the peer is slowed by TCP, nothing piles up in the server', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver) => {
      driver.on('connect', () => driver.start());
      driver.on('open', () => driver.pause());
    });
    const before = external();
    const result = await flood(server.port, 'binary', 64);
    const driver = await server.nextDriver();
    const grown = external() - before;
    expect(result.finished).toBe(false);
    expect(result.written).toBeLessThan(32 * MiB);
    expect(driver.readyState).toBe(1);
    expect(driver.retainedBytes).toBeLessThanOrEqual(MiB + 64 * 1024);
    expect(grown).toBeLessThan(8 * MiB);
  });

  it('a ping flood from a peer that never reads: one pending pong, reading stops', async () => {
    let serverSocket: net.Socket | null = null;
    const server = await wsdriverServer(cleanup, {}, (driver: HttpServerDriver, tcp) => {
      serverSocket = tcp;
      driver.on('connect', () => driver.start());
    });
    const before = external();
    const result = await flood(server.port, 'ping', 64);
    const grown = external() - before;
    // Either stalled (TCP slowed the peer) or failed for flooding; never 64 MiB of pongs queued.
    const writable = (serverSocket as net.Socket | null)?.writableLength ?? 0;
    expect(writable).toBeLessThan(4 * MiB);
    expect(result.written).toBeLessThan(32 * MiB);
    expect(grown).toBeLessThan(8 * MiB);
  });

  it('1,000 slow-loris heads: all answered 408 at the handshake deadline', async () => {
    const server = await wsdriverServer(cleanup, {}, (driver) => driver.on('connect', () => driver.start()), { handshakeTimeout: 400 });
    const before = external();
    const sockets = await Promise.all(Array.from({ length: 1000 }, () => tcpConnect(cleanup, server.port)));
    for (const socket of sockets) socket.write('GET /chat HTTP/1.1\r\n');
    const trickle = setInterval(() => {
      for (const socket of sockets) if (socket.writable) socket.write('X');
    }, 50);
    cleanup.add(() => clearInterval(trickle));
    const replies = await Promise.all(sockets.map((socket) => readToEnd(socket)));
    clearInterval(trickle);
    const grown = external() - before;
    expect(replies.filter((reply) => reply.toString('latin1').startsWith('HTTP/1.1 408 ')).length).toBe(1000);
    const closes = await Promise.all(server.closes);
    expect(closes.every((close) => close.code === 1006)).toBe(true);
    expect(grown).toBeLessThan(16 * MiB);
  });
});
