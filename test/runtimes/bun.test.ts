/**
 * Bun (the `bun` npm package's binary), loading the packed package by
 * name from a scratch project: a client over Bun.connect and a server over
 * Bun.listen, wired with wsdriver/sockets (Bun's sockets are handler-style:
 * no streams, and write() returns how much it took), and a client and a
 * server over node:net through wsdriver/node; each against `ws` on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUN, peerAvailable } from '../helpers/peers.js';
import type { ClientReport, ServerReport } from './programs/scenario.js';
import { installedPackage, type InstalledPackage } from './support/installed-package.js';
import { WebSocket } from 'ws';
import { echoServer, playAgainstServer, startProgram, type EchoServer } from './support/peers.js';

const here = peerAvailable(BUN);

let installed: InstalledPackage;
const servers: EchoServer[] = [];

beforeAll(async () => {
  if (!here) return;
  installed = await installedPackage();
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  installed?.dispose();
});

async function bunClient(program: string, name: string): Promise<void> {
  const server = await echoServer();
  servers.push(server);
  const run = startProgram(BUN.path, [program, String(server.port)], { cwd: installed.programs });
  let report: ClientReport & { masking: string };
  try {
    report = await run.report();
  } finally {
    run.kill();
  }
  expect(report).toMatchObject({ opened: true, textEchoed: true, binaryMismatchAt: -1, pingAnswered: true, errors: [] });
  expect(report.close).toEqual({ code: 4000, reason: `${name} done`, wasClean: true });
  expect(report.masking).toBe('wasm-simd');
  const [connection] = server.connections;
  expect(connection!.texts).toEqual([`hello from ${name} ✓`]);
  expect(connection!.binaryMismatchAt).toBe(-1);
  expect(await connection!.closed).toEqual({ code: 4000, reason: `${name} done` });
}

async function bunServer(program: string, name: string): Promise<void> {
  const run = startProgram(BUN.path, [program], { cwd: installed.programs });
  try {
    const port = Number(await run.line('LISTENING'));
    expect(await playAgainstServer(port)).toEqual({
      textEchoed: true,
      binaryMismatchAt: -1,
      afterPing: 'ping answered',
      close: { code: 4001, reason: `${name} server done` },
    });
    expect(await run.report<ServerReport>()).toEqual({
      binaryMismatchAt: -1,
      close: { code: 4001, reason: `${name} server done`, wasClean: true },
      errors: [],
    });
  } finally {
    run.kill();
  }
}

describe.skipIf(!here)('wsdriver in Bun, imported from the installed tarball', () => {
  it('a client over Bun.connect (wsdriver/sockets): text, 1 MiB byte for byte, ping callback, close the peer sees', async () => {
    await bunClient('bun-client.ts', 'Bun');
  });

  it('a client over node:net (wsdriver/node connect())', async () => {
    await bunClient('bun-node-net.ts', 'Bun node:net');
  });

  it('a server over Bun.listen (wsdriver/sockets), against a ws client: echoes, pings, closes with the code and reason ws sees', async () => {
    await bunServer('bun-server.ts', 'Bun');
  });

  it('a server over node:net (wsdriver/node attach)', async () => {
    await bunServer('bun-node-net-server.ts', 'Bun node:net');
  });

  it('a paused server over Bun.listen (wsdriver/sockets) stops reading the socket: the ws client backs up, nothing fails, all arrives after resume', async () => {
    const count = 512; // 32 MiB in 64 KiB messages: more than loopback's socket buffers hold
    const run = startProgram(BUN.path, ['bun-paused-server.ts', String(count)], { cwd: installed.programs });
    try {
      const port = Number(await run.line('LISTENING'));
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
      await run.line('PAUSED');
      for (let i = 0; i < count; i++) client.send(new Uint8Array(64 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The server is not reading: what the kernel's buffers cannot hold stays in ws.
      const backedUp = client.bufferedAmount;
      const report = await run.report<{ bytesWhilePaused: number; messages: number; bytes: number; errors: string[] }>();
      client.terminate();
      expect(backedUp).toBeGreaterThan(8 * 2 ** 20);
      // Without the socket's pause, Bun would hand the driver all of it and maxPausedBytes (1 MiB) would fail it with 1009.
      expect(report.bytesWhilePaused).toBeLessThan(2 ** 20);
      expect(report.errors).toEqual([]);
      expect(report.messages).toBe(count);
      expect(report.bytes).toBe(count * 64 * 1024);
    } finally {
      run.kill();
    }
  }, 30_000);
});
