/**
 * The Node side of the runtime tests: `ws` peers on 127.0.0.1 (an echo
 * server for the runtimes' clients, a client for the runtimes' servers)
 * and the runtime's program as a child process that reports on stdout.
 *
 * A program prints `LISTENING <port>` when it serves, and one
 * `REPORT <json>` line when it is done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import https from 'node:https';
import { WebSocket, WebSocketServer } from 'ws';
import { BINARY_LENGTH, firstPatternMismatch, patternBytes } from '../programs/scenario.js';

/** What the echo server saw of one connection. */
export interface EchoConnection {
  /** Index of the first byte of the 1 MiB binary message that differed from the pattern (-1: none). */
  binaryMismatchAt: number | null;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A `ws` echo server on 127.0.0.1 (TLS when given a certificate). */
export interface EchoServer {
  readonly port: number;
  readonly connections: EchoConnection[];
  close(): Promise<void>;
}

export async function echoServer(
  certificate?: { cert: string; key: string },
  options: { perMessageDeflate?: boolean } = {},
): Promise<EchoServer> {
  const connections: EchoConnection[] = [];
  const tls = certificate ? https.createServer(certificate) : undefined;
  const perMessageDeflate = options.perMessageDeflate ?? false;
  const wss = tls
    ? new WebSocketServer({ server: tls, perMessageDeflate })
    : new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  wss.on('connection', (socket) => {
    const connection: EchoConnection = {
      binaryMismatchAt: null,
      texts: [],
      closed: new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    };
    connections.push(connection);
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        const bytes = data as Buffer;
        if (bytes.length === BINARY_LENGTH) connection.binaryMismatchAt = firstPatternMismatch(bytes);
      } else {
        connection.texts.push(data.toString());
      }
      socket.send(data, { binary: isBinary });
    });
  });
  if (tls) await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => wss.once('listening', resolve));
  const port = ((tls ?? wss).address() as AddressInfo).port;
  return {
    port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => (tls ? tls.close(() => resolve()) : resolve()));
      }),
  };
}

/** What a `ws` client saw of a runtime's server running serveScenario. */
export interface ServerScenarioSeen {
  textEchoed: boolean;
  binaryMismatchAt: number;
  /** The text the server sent once our pong came back. */
  afterPing: string;
  close: { code: number; reason: string };
}

/** Plays the client's part against serveScenario: text, 1 MiB, "finish", then the server's close. */
export async function playAgainstServer(port: number): Promise<ServerScenarioSeen> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  const messages: Array<{ data: Buffer; isBinary: boolean }> = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data, isBinary) => {
    messages.push({ data: data as Buffer, isBinary });
    waiters.shift()?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const next = async () => {
    if (messages.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages.shift()!;
  };
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send('hello server ✓');
  const text = await next();
  socket.send(patternBytes());
  const binary = await next();
  socket.send('finish');
  const afterPing = await next();
  return {
    textEchoed: !text.isBinary && text.data.toString() === 'hello server ✓',
    binaryMismatchAt: binary.isBinary ? firstPatternMismatch(binary.data) : 0,
    afterPing: afterPing.data.toString(),
    close: await closed,
  };
}

/** A runtime's program, running. */
export interface Program {
  /** Resolves with the text after `prefix ` on the first stdout line that starts with it. */
  line(prefix: string): Promise<string>;
  /** The `REPORT` line, parsed. */
  report<T = Record<string, unknown>>(): Promise<T>;
  /** Resolves with the exit code once the program has ended. */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far, for failure messages. */
  output(): string;
  kill(): void;
}

/** Starts a program; its output is kept for failure messages. */
export function startProgram(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Program {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const listener of [...listeners]) listener();
  });
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = stdout.split('\n').find((l) => l.startsWith(`${prefix} `));
        if (found !== undefined) {
          listeners.delete(check);
          resolve(found.slice(prefix.length + 1));
        } else if (ended) {
          listeners.delete(check);
          reject(new Error(`${command} ${args.join(' ')} ended without "${prefix}"\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      listeners.add(check);
      check();
    });
  return {
    line,
    report: async <T>() => JSON.parse(await line('REPORT')) as T,
    exited,
    output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`,
    kill: () => void child.kill('SIGKILL'),
  };
}
