/**
 * Deno (the `deno` npm package's binary), loading the packed package by
 * name from a scratch project: a client over Deno.connect and over
 * Deno.connectTls (a CA made at test time), a server over Deno.listen, each
 * against `ws` on 127.0.0.1; and `deno check` of a consumer file against
 * the published types.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DENO, OPENSSL, peerAvailable } from '../helpers/peers.js';
import type { ClientReport, ServerReport } from './programs/scenario.js';
import { certificateAuthority, type CertificateAuthority } from './support/certificate-authority.js';
import { installedPackage, type InstalledPackage } from './support/installed-package.js';
import { echoServer, playAgainstServer, startProgram, type EchoServer } from './support/peers.js';

const here = peerAvailable(DENO) && peerAvailable(OPENSSL);
const DENO_RUN = ['run', '--quiet', '--no-prompt', '--allow-net=127.0.0.1,localhost', '--allow-read'];

let installed: InstalledPackage;
let certificate: CertificateAuthority;
let caDir: string;
const servers: EchoServer[] = [];

beforeAll(async () => {
  if (!here) return;
  [installed, certificate] = await Promise.all([installedPackage(), certificateAuthority()]);
  caDir = mkdtempSync(path.join(tmpdir(), 'wsdriver-deno-ca-'));
  writeFileSync(path.join(caDir, 'ca.pem'), certificate.ca);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  installed?.dispose();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

type DenoClientReport = ClientReport & {
  masking: string;
  errorEvents: Array<{ code: string; message: string; closeCode: number; cause?: string }>;
};

async function denoClient(args: string[]): Promise<DenoClientReport> {
  const program = startProgram(DENO.path, [...DENO_RUN, 'deno-client.ts', ...args], { cwd: installed.programs });
  try {
    return await program.report<DenoClientReport>();
  } finally {
    program.kill();
  }
}

describe.skipIf(!here)('wsdriver in Deno, imported from the installed tarball', () => {
  it('a client over Deno.connect: text, 1 MiB compared byte for byte, ping callback, close the peer sees', async () => {
    const server = await echoServer();
    servers.push(server);
    const report = await denoClient(['tcp', String(server.port)]);
    expect(report).toMatchObject({ opened: true, textEchoed: true, binaryType: 'Uint8Array', binaryMismatchAt: -1, pingAnswered: true });
    expect(report.close).toEqual({ code: 4000, reason: 'Deno done', wasClean: true });
    expect(report.errors).toEqual([]);
    expect(report.masking).toBe('wasm-simd');
    const [connection] = server.connections;
    expect(connection!.texts).toEqual(['hello from Deno ✓']);
    expect(connection!.binaryMismatchAt).toBe(-1);
    expect(await connection!.closed).toEqual({ code: 4000, reason: 'Deno done' });
  });

  it('a client over Deno.connectTls, trusting a CA made at test time', async () => {
    const server = await echoServer(certificate);
    servers.push(server);
    const report = await denoClient(['tls', String(server.port), path.join(caDir, 'ca.pem')]);
    expect(report).toMatchObject({ opened: true, textEchoed: true, binaryMismatchAt: -1, pingAnswered: true });
    expect(report.close).toEqual({ code: 4000, reason: 'Deno done', wasClean: true });
    expect(await server.connections[0]!.closed).toEqual({ code: 4000, reason: 'Deno done' });
  });

  it('a certificate it does not trust ends the connection with 1006, before open', async () => {
    const server = await echoServer(certificate);
    servers.push(server);
    const report = await denoClient(['tls', String(server.port)]);
    expect(report.opened).toBe(false);
    expect(report.close).toMatchObject({ code: 1006, wasClean: false });
  });

  it('a certificate it does not trust is reported as an error event (TRANSPORT_ERROR, with the TLS cause) and close 1006 with its message', async () => {
    const server = await echoServer(certificate);
    servers.push(server);
    const report = await denoClient(['tls', String(server.port)]);
    expect(report.opened).toBe(false);
    expect(report.errorEvents).toHaveLength(1);
    const [error] = report.errorEvents;
    expect(error).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect(error!.cause).toBeTruthy();
    expect(report.close).toEqual({ code: 1006, reason: error!.message, wasClean: false });
  });

  it('a server over Deno.listen, against a ws client: echoes, pings, closes with the code and reason ws sees', async () => {
    const program = startProgram(DENO.path, [...DENO_RUN, 'deno-server.ts'], { cwd: installed.programs });
    try {
      const port = Number(await program.line('LISTENING'));
      const seen = await playAgainstServer(port);
      expect(seen).toEqual({
        textEchoed: true,
        binaryMismatchAt: -1,
        afterPing: 'ping answered',
        close: { code: 4001, reason: 'Deno server done' },
      });
      const report = await program.report<ServerReport>();
      expect(report).toEqual({ binaryMismatchAt: -1, close: { code: 4001, reason: 'Deno server done', wasClean: true }, errors: [] });
    } finally {
      program.kill();
    }
  });

  it('deno check accepts a consumer of wsdriver, wsdriver/streams and wsdriver/callbacks', async () => {
    const program = startProgram(DENO.path, ['check', '--quiet', 'deno-check.ts'], { cwd: installed.programs });
    expect(await program.exited, program.output()).toBe(0);
  });
});
