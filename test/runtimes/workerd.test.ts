/**
 * Cloudflare workerd (the `workerd` npm package's binary): a Worker,
 * bundled by esbuild from the packed package as wrangler would, opens TCP
 * and TLS with connect() from cloudflare:sockets and runs a client against
 * `ws` on 127.0.0.1. A Worker cannot compile WebAssembly, so masking runs
 * in JavaScript, which the Worker reports.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENSSL, peerAvailable, WORKERD } from '../helpers/peers.js';
import type { ClientReport } from './programs/scenario.js';
import { certificateAuthority, type CertificateAuthority } from './support/certificate-authority.js';
import { installedPackage, type InstalledPackage } from './support/installed-package.js';
import { echoServer, startProgram, type EchoServer } from './support/peers.js';

const here = peerAvailable(WORKERD) && peerAvailable(OPENSSL);

let installed: InstalledPackage;
let authority: CertificateAuthority;
const servers: EchoServer[] = [];

beforeAll(async () => {
  if (!here) return;
  [installed, authority] = await Promise.all([installedPackage(), certificateAuthority()]);
  const result = await build({
    entryPoints: [path.join(installed.programs, 'workerd-client.js')],
    outfile: path.join(installed.programs, 'worker.bundle.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*'],
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  installed?.dispose();
});

/** A workerd config: the Worker, its bindings, and outbound sockets allowed to reach loopback. */
function writeConfig(name: string, bindings: Record<string, string>, trusted: string[]): string {
  const text = (value: string) => JSON.stringify(value);
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # connect() goes out through the service named "internet"; the default one refuses private addresses.
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustedCertificates = [${trusted.map(text).join(', ')}]))),
  ],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2026-01-01",
  bindings = [${Object.entries(bindings)
    .map(([key, value]) => `(name = ${text(key)}, text = ${text(value)})`)
    .join(', ')}],
);
`;
  const file = path.join(installed.programs, `${name}.capnp`);
  writeFileSync(file, config);
  return file;
}

type WorkerReport = ClientReport & { masking: string; errorEvents: Array<{ code: string; message: string; closeCode: number; cause?: string }> };

async function runWorker(name: string, bindings: Record<string, string>, trusted: string[] = []): Promise<WorkerReport> {
  const config = writeConfig(name, bindings, trusted);
  const program = startProgram(WORKERD.path, ['test', config], { cwd: installed.programs });
  try {
    return await program.report<WorkerReport>();
  } finally {
    program.kill();
  }
}

describe.skipIf(!here)('wsdriver in a Cloudflare Worker (workerd), bundled from the installed tarball', () => {
  it('a client over connect() from cloudflare:sockets: text, 1 MiB byte for byte, ping callback, close the peer sees', async () => {
    const server = await echoServer();
    servers.push(server);
    const report = await runWorker('tcp', { PEER_PORT: String(server.port), MODE: 'tcp' });
    expect(report).toMatchObject({ opened: true, textEchoed: true, binaryMismatchAt: -1, pingAnswered: true, errors: [] });
    expect(report.close).toEqual({ code: 4000, reason: 'workerd done', wasClean: true });
    // Workers may not compile WebAssembly: the JavaScript kernel masks.
    expect(report.masking).toBe('javascript');
    const [connection] = server.connections;
    expect(connection!.texts).toEqual(['hello from workerd ✓']);
    expect(connection!.binaryMismatchAt).toBe(-1);
    expect(await connection!.closed).toEqual({ code: 4000, reason: 'workerd done' });
  });

  it('a client over connect() with TLS, trusting a CA made at test time', async () => {
    const server = await echoServer(authority);
    servers.push(server);
    const report = await runWorker('tls', { PEER_PORT: String(server.port), MODE: 'tls' }, [authority.ca]);
    expect(report).toMatchObject({ opened: true, textEchoed: true, binaryMismatchAt: -1, pingAnswered: true, errors: [] });
    expect(report.close).toEqual({ code: 4000, reason: 'workerd done', wasClean: true });
    expect(await server.connections[0]!.closed).toEqual({ code: 4000, reason: 'workerd done' });
  });

  it('a certificate it does not trust ends the connection with 1006, before open', async () => {
    const server = await echoServer(authority);
    servers.push(server);
    const report = await runWorker('untrusted', { PEER_PORT: String(server.port), MODE: 'tls' });
    expect(report.opened).toBe(false);
    expect(report.close).toMatchObject({ code: 1006, wasClean: false });
  });

  it('a certificate it does not trust is reported as an error event (TRANSPORT_ERROR, with the TLS cause) and close 1006 with its message', async () => {
    const server = await echoServer(authority);
    servers.push(server);
    const report = await runWorker('untrusted-reported', { PEER_PORT: String(server.port), MODE: 'tls' });
    expect(report.opened).toBe(false);
    expect(report.errorEvents).toHaveLength(1);
    const [error] = report.errorEvents;
    expect(error).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect(error!.cause).toBeTruthy();
    expect(report.close).toEqual({ code: 1006, reason: error!.message, wasClean: false });
  });
});
