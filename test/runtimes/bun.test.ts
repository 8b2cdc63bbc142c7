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
});
