/**
 * A real tinyproxy (Debian's /usr/bin/tinyproxy) on 127.0.0.1 for the
 * proxy tests: a config written to a temp dir, run in the foreground, on a
 * free port found by binding port 0 (tinyproxy itself has no port 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINYPROXY as TINYPROXY_PEER } from '../../helpers/peers.js';

export const TINYPROXY = TINYPROXY_PEER.path;

export interface TinyproxyOptions {
  /** The only ports CONNECT may reach. */
  connectPorts: readonly number[];
  /** Require Basic auth with this user and password (tinyproxy takes [A-Za-z0-9._-] only). */
  basicAuth?: { user: string; password: string };
}

export interface Tinyproxy {
  readonly port: number;
  /** What tinyproxy printed so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts tinyproxy and resolves once it accepts connections. Another
 * process may take the port between freePort() and tinyproxy's bind: then
 * tinyproxy exits, and a new port is tried.
 */
export async function startTinyproxy(options: TinyproxyOptions): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'wsdriver-tinyproxy-'));
  let lastOutput = '';
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const config = join(dir, 'tinyproxy.conf');
      await writeFile(config, configText(port, options));
      const child = spawn(TINYPROXY, ['-d', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
      if (await listening(child, port)) {
        return {
          port,
          output: () => output,
          stop: async () => {
            await stopProcess(child);
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      await stopProcess(child);
      lastOutput = output;
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`tinyproxy did not start:\n${lastOutput}`);
}

function configText(port: number, options: TinyproxyOptions): string {
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'MaxClients 20',
    'Allow 127.0.0.1',
    'LogLevel Info',
    'DisableViaHeader Yes',
    ...options.connectPorts.map((p) => `ConnectPort ${p}`),
  ];
  if (options.basicAuth) lines.push(`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`);
  return lines.join('\n') + '\n';
}

/** Polls until `port` accepts a connection (true) or the process exits (false). */
async function listening(child: ChildProcess, port: number): Promise<boolean> {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!exited && Date.now() < deadline) {
    if (await accepts(port)) return !exited;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
