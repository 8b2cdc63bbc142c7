/**
 * One server under test, in its own process, listening on 127.0.0.1 with
 * the same backlog whatever the implementation. It echoes every message
 * (`echo`), or sends one prepared payload to every connection each time any
 * connection sends it a message (`broadcast`). Through IPC it announces its
 * port and answers `stats` with its CPU time and its memory after a full GC.
 *
 *   node --import tsx --expose-gc bench/e2e/server.ts '{"kind":"ws","mode":"echo"}'
 *
 * With E2E_DIAGNOSE set, the server reports what its event loop and GC did
 * in the timed window on stderr (bench/e2e/window-diagnostics.ts).
 *
 * With E2E_WINDOW_FILE set to a file name, the server writes its process
 * id there when the timed window starts, for a system profiler to attach.
 *
 * With E2E_BALLAST=MB the server keeps about that many megabytes of small
 * long-lived objects, as a server with state of its own has (V8's heap
 * growing heuristics decide differently for a near-empty heap:
 * bench/analysis.md, "Echo, session 4" and "Echo 4 KiB, session 6").
 *
 * With E2E_PROFILE set to a file name, the server profiles its CPU from the
 * `start` checkpoint to the `end` one (the timed window) and writes the
 * profile there (`run.ts --profile=DIR`).
 *
 * With E2E_READ_BUFFER=bytes (at most 256 KiB), wsdriver's Node adapter
 * reads into a shared buffer of that size instead of its own
 * (bench/e2e/fairness.ts compares 64 KiB reads with 256 KiB ones). With
 * E2E_READ_BUDGET=bytes it reads one socket for at most that many bytes
 * in a row per event-loop turn instead of its own budget (0: none;
 * lib/adapters/node/read-budget.ts).
 *
 * With E2E_TURNS set, the server measures the CPU time of each event-loop
 * turn in the timed window and sends a summary (`{ type: 'turns' }`) just
 * before its `end` stats (bench/e2e/turn-diagnostics.ts).
 *
 * ws reads WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE when first loaded, so
 * run.ts sets them in the environment of the "ws-noaddons" process.
 *
 * wsdriver's echo sends text back as ws's does, as the checked bytes it
 * arrived in (`decodeText: false`, `text(bytes)`); with BENCH_ECHO_TEXT=strings
 * it decodes each text message to a string and encodes it again, as an
 * application that reads the text does (to measure what that costs).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { BUILT_ENTRY } from '../built.js';
import { LISTEN_BACKLOG, type ServerConfig, type ServerStats } from './shared.js';
import { mainThreadCpu } from './thread-cpu.js';
import { TurnDiagnostics } from './turn-diagnostics.js';
import { WindowDiagnostics } from './window-diagnostics.js';

const require = createRequire(import.meta.url);
const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const broadcastText = 'x'.repeat(config.broadcastSize ?? 16);
const broadcastBytes = Buffer.from(broadcastText);
// Large enough for the partial-message workload's 60 MiB announcement; ws's default is 100 MiB.
const MAX_MESSAGE = 64 * 1024 * 1024;
// Text echoed as bytes (the default) or through a string: see the module comment.
const DECODE_TEXT = process.env.BENCH_ECHO_TEXT === 'strings';
const diagnostics = process.env.E2E_DIAGNOSE ? new WindowDiagnostics() : null;
const turns = process.env.E2E_TURNS ? new TurnDiagnostics() : null;
// 16 Ki objects of about 64 B each per MB, alive for the process's life (as echo-gc.ts's --ballast).
const ballast = Array.from({ length: Number(process.env.E2E_BALLAST ?? 0) * 16 * 1024 }, (_, i) => ({ index: i, name: String(i) }));

/** Echoes a message as it came: text as text, binary as binary (text as a string or as bytes, as `decodeText` delivers it). */
function echo(driver: { text(data: string | Uint8Array): boolean; binary(data: Uint8Array): boolean }, { data, type }: { data: string | Uint8Array; type: 'text' | 'binary' }): void {
  if (diagnostics !== null) diagnostics.messages++;
  if (type === 'text') driver.text(data);
  else driver.binary(data as Uint8Array);
}

/** CPU and memory now; with `gc`, after two full collections (memory then counts only what is live). */
function stats(gc: boolean): ServerStats {
  if (gc) {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    collect?.();
  }
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpu: cpu.user + cpu.system,
    mainCpu: mainThreadCpu(),
    atMs: Number(process.hrtime.bigint()) / 1e6,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
  };
}

function listen(server: net.Server): void {
  server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => {
    const { port } = server.address() as net.AddressInfo;
    process.send!({ type: 'ready', port });
  });
}

/** E2E_READ_BUFFER and E2E_READ_BUDGET: see the module comment. */
async function setReadSize(): Promise<void> {
  const { E2E_READ_BUFFER: bytes, E2E_READ_BUDGET: budget } = process.env;
  const built = (module: string) => pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, `adapters/node/${module}.js`)).href;
  if (bytes !== undefined) {
    const readBuffer = (await import(built('read-buffer'))) as typeof import('../../lib/adapters/node/read-buffer.js');
    if (!readBuffer.setSharedReadSize(Number(bytes))) throw new RangeError(`E2E_READ_BUFFER=${bytes}: not a read size`);
  }
  if (budget !== undefined) ((await import(built('read-budget'))) as typeof import('../../lib/adapters/node/read-budget.js')).setReadBudget(Number(budget));
}

async function wsdriverServer(): Promise<net.Server> {
  await setReadSize();
  const { Driver, PreparedMessage } = (await import(pathToFileURL(BUILT_ENTRY).href)) as typeof import('../../lib/index.js');
  const node = (await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, 'adapters/node/index.js')).href)) as typeof import('../../lib/adapters/node/index.js');
  if (config.mode === 'broadcast' && process.env.BENCH_BROADCAST === 'server') {
    // BENCH_BROADCAST=server: what a user of the server object writes (one PreparedMessage, each client's backpressure checked).
    const wss: import('../../lib/adapters/node/index.js').WebSocketServer = new node.WebSocketServer({
      maxLength: MAX_MESSAGE,
      perMessageDeflate: config.deflate ? { noContextTakeover: true } : false,
      handler: { onMessage: () => void wss.broadcast(broadcastText) },
    });
    const server = http.createServer();
    wss.serve(server);
    return server;
  }
  const open = new Set<import('../../lib/index.js').ServerSideDriver>();
  // One extension object for every connection, so its zlib concurrency limit bounds them all.
  const deflate = config.deflate ? node.perMessageDeflate({ noContextTakeover: true }) : null;
  const server = http.createServer();
  server.on('upgrade', (request, socket, head) => {
    if (!Driver.isWebSocket(request)) return socket.destroy();
    const driver = node.handleUpgrade(request, socket, head, { maxLength: MAX_MESSAGE, decodeText: DECODE_TEXT });
    if (deflate !== null) driver.addExtension(deflate);
    if (config.mode === 'echo') {
      driver.on('message', (event) => echo(driver, event));
    } else {
      driver.on('open', () => open.add(driver));
      driver.on('close', () => open.delete(driver));
      driver.on('message', () => {
        // Framed once for everyone, as ClientGroup.broadcast and WebSocketServer.broadcast do (without their slow-client check).
        const message = new PreparedMessage(broadcastText);
        for (const each of open) each.sendPrepared(message);
      });
    }
  });
  return server;
}

/** The same server through wsdriver's server object (`WebSocketServer`) rather than `handleUpgrade`. */
async function wsdriverObjectServer(): Promise<net.Server> {
  await setReadSize();
  const { PreparedMessage } = (await import(pathToFileURL(BUILT_ENTRY).href)) as typeof import('../../lib/index.js');
  const node = (await import(pathToFileURL(BUILT_ENTRY.replace(/index\.js$/, 'adapters/node/index.js')).href)) as typeof import('../../lib/adapters/node/index.js');
  const server = http.createServer();
  const wss = new node.WebSocketServer({
    maxLength: MAX_MESSAGE,
    decodeText: DECODE_TEXT,
    perMessageDeflate: config.deflate ? { noContextTakeover: true } : false,
    handler: (driver) => {
      if (config.mode === 'echo') {
        driver.on('message', (event) => echo(driver, event));
      } else {
        // Framed once for everyone by the server object's own broadcast.
        driver.on('message', () => void wss.broadcast(new PreparedMessage(broadcastText), { slowClient: 'queue' }));
      }
    },
  });
  wss.serve(server);
  return server;
}

function wsServer(): net.Server {
  const { WebSocketServer } = require('ws') as typeof import('ws');
  const server = http.createServer();
  const wss = new WebSocketServer({
    server,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: config.deflate ? { threshold: 0, serverNoContextTakeover: true } : false,
  });
  wss.on('connection', (ws) => {
    if (config.mode === 'echo') {
      ws.on('message', (data, isBinary) => {
        if (diagnostics !== null) diagnostics.messages++;
        ws.send(data as Buffer, { binary: isBinary });
      });
    } else {
      ws.on('message', () => {
        for (const each of wss.clients) each.send(broadcastText);
      });
    }
  });
  return server;
}

function websocketDriverServer(): net.Server {
  const websocket = require('websocket-driver') as {
    server(options: object): WebSocketDriverConnection;
  };
  const deflate = config.deflate ? (require('permessage-deflate') as { configure(options: object): unknown }).configure({ noContextTakeover: true }) : null;
  const open = new Set<WebSocketDriverConnection>();
  return net.createServer((socket) => {
    socket.setNoDelay(true);
    const driver = websocket.server({ maxLength: MAX_MESSAGE });
    if (deflate !== null) driver.addExtension(deflate);
    driver.on('connect', () => driver.start());
    socket.pipe(driver.io).pipe(socket);
    socket.on('error', () => socket.destroy());
    driver.io.on('error', () => socket.destroy());
    if (config.mode === 'echo') {
      driver.messages.on('data', (data) => (typeof data === 'string' ? driver.text(data) : driver.binary(data)));
    } else {
      driver.on('open', () => open.add(driver));
      driver.on('close', () => open.delete(driver));
      driver.messages.on('data', () => {
        for (const each of open) each.text(broadcastText);
      });
    }
  });
}

interface WebSocketDriverConnection {
  io: NodeJS.ReadWriteStream;
  messages: NodeJS.EventEmitter;
  on(event: string, listener: (...args: unknown[]) => void): void;
  addExtension(extension: unknown): void;
  start(): void;
  text(message: string): void;
  binary(message: Buffer): void;
}

/** What the raw server sends a connection first, so the client knows it is in the broadcast set. */
const ACCEPTED = Buffer.from('!');

/** The limit line: the same bytes back, no framing, no handshake. */
function rawServer(): net.Server {
  const open = new Set<net.Socket>();
  return net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    // In place of a handshake: the client knows it has been accepted.
    socket.write(ACCEPTED);
    if (config.mode === 'echo') {
      socket.on('data', (chunk) => {
        if (diagnostics !== null) diagnostics.messages++;
        socket.write(chunk);
      });
    } else {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // One byte from a client asks for one broadcast.
      socket.on('data', (chunk) => {
        for (let i = 0; i < chunk.length; i++) for (const each of open) each.write(broadcastBytes);
      });
    }
  });
}

const server =
  config.kind === 'wsdriver'
    ? await wsdriverServer()
    : config.kind === 'wsdriver-server'
      ? await wsdriverObjectServer()
      : config.kind === 'ws' || config.kind === 'ws-noaddons'
        ? wsServer()
        : config.kind === 'websocket-driver'
          ? websocketDriverServer()
          : rawServer();
server.on('connection', (socket: net.Socket) => socket.on('error', () => socket.destroy()));
const profileFile = process.env.E2E_PROFILE;
const profiler = profileFile === undefined ? null : new Session();
profiler?.connect();

/** Profiles the timed window only: set-up and connecting are not what is measured. */
async function profileAt(label: string | undefined): Promise<void> {
  if (profiler === null) return;
  if (label === 'start') {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  } else if (label === 'end') {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(profileFile!, JSON.stringify(profile));
  }
}

process.on('message', async (message: { type: string; id?: number; gc?: boolean; label?: string }) => {
  if (message.type !== 'stats') {
    if (message.type === 'exit') process.exit(0);
    return;
  }
  // Read before the profiler starts or stops, so its own work is not counted.
  const reply = stats(message.gc === true);
  if (message.label === 'start') diagnostics?.start();
  if (message.label === 'start') turns?.start();
  if (message.label === 'end' && turns !== null) process.send!({ type: 'turns', summary: turns.end() });
  // For a profiler to attach to the timed window only (`perf record -p`): this process's id, written when it starts.
  if (message.label === 'start' && process.env.E2E_WINDOW_FILE) writeFileSync(process.env.E2E_WINDOW_FILE, String(process.pid));
  if (message.label === 'end' && diagnostics !== null) process.stderr.write(`diagnose ${config.kind}: ${JSON.stringify(diagnostics.end())}\n`);
  if (message.label === 'start') await profileAt('start');
  process.send!({ type: 'stats', id: message.id, stats: reply });
  if (message.label === 'end') await profileAt('end');
});
process.on('disconnect', () => process.exit(ballast.length >= 0 ? 0 : 1));
listen(server);
