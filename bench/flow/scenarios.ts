/**
 * One flow-control load scenario against one implementation, on real
 * sockets on 127.0.0.1, bounded in time; run as its own process by
 * bench/flow/run.ts so memory figures are the scenario's alone. Prints one
 * JSON line: the figures.
 *
 *   tsx bench/flow/scenarios.ts SCENARIO IMPL [--mib=N]
 *
 * SCENARIO: nonreader | slowhandler | slowloris | pingflood | upload | download
 * IMPL: wsdriver | ws
 *
 * @module
 */
import http from 'node:http';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { Driver, startMessage, type HttpServerDriver } from '../../lib/index.js';
import { attach, connect, streamSocket } from '../../lib/adapters/node/index.js';

const [scenario, impl] = process.argv.slice(2) as [string, 'wsdriver' | 'ws'];
const mib = Number(process.argv.find((a) => a.startsWith('--mib='))?.slice(6) ?? 1024);
const MiB = 1024 * 1024;

/** Resident memory now, and the process's peak so far (bytes). */
const rss = () => process.memoryUsage().rss;
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const baseline = rss();

type Figures = Record<string, number | string | boolean>;

/** A wsdriver server on an ephemeral port; `setup` gets each driver. */
async function wsdriverServer(setup: (driver: HttpServerDriver, tcp: net.Socket) => void, attachOptions = {}): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer((tcp) => {
    const driver = Driver.server(streamSocket(tcp));
    driver.on('connect', () => driver.start());
    setup(driver, tcp);
    attach(driver, tcp, attachOptions);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}

async function wsServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ port: number; wss: WebSocketServer; server: http.Server }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, wss, server };
}

/** A raw TCP client that completes the handshake and then never reads. */
async function nonReadingClient(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  // The server may drop a flooding peer: that is an outcome, not a crash.
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

/** A server sends 64 KiB messages for 2 s, ignoring every signal, to a client that never reads. */
async function nonreader(): Promise<Figures> {
  const payload = new Uint8Array(64 * 1024);
  let serverTcp: net.Socket | null = null;
  let send: () => boolean = () => false;
  let server: { close(): void };
  if (impl === 'wsdriver') {
    const s = await wsdriverServer((driver, tcp) => {
      serverTcp = tcp;
      // A fresh buffer per message, as an application producing data makes.
      send = () => driver.binary(payload.slice());
    });
    server = s.server;
    await nonReadingClient(s.port);
  } else {
    const s = await wsServer();
    s.wss.on('connection', (ws, request) => {
      serverTcp = request.socket as net.Socket;
      send = () => {
        ws.send(payload.slice());
        return true;
      };
    });
    server = s.server;
    await nonReadingClient(s.port);
  }
  while (serverTcp === null) await sleep(5);
  let offered = 0;
  let accepted = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until && offered < 16384) {
    for (let i = 0; i < 64; i++) {
      offered++;
      if (send()) accepted++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const buffered = (serverTcp as net.Socket).writableLength;
  const figures = { offeredMiB: (offered * 64) / 1024, acceptedMiB: (accepted * 64) / 1024, serverBufferedMiB: buffered / MiB, peakRssGrowthMiB: (peakRss() - baseline) / MiB };
  server.close();
  return figures;
}

/** A client sends 16 KiB messages as fast as it is allowed for 2 s to a server whose handler takes 1 ms each. */
async function slowhandler(): Promise<Figures> {
  const payload = new Uint8Array(16 * 1024);
  const queue: unknown[] = [];
  let peakQueue = 0;
  let handled = 0;
  let pause = () => {};
  let resume = () => {};
  const enqueue = (item: unknown) => {
    queue.push(item);
    peakQueue = Math.max(peakQueue, queue.length);
    if (queue.length >= 64) pause();
  };
  const worker = setInterval(() => {
    if (queue.shift() !== undefined) handled++;
    if (queue.length <= 16) resume();
  }, 1);
  let sent = 0;
  const until = Date.now() + 2000;
  if (impl === 'wsdriver') {
    const s = await wsdriverServer((driver) => {
      // The handler's queue is the application's: it pauses delivery when it is long.
      pause = () => driver.pause();
      resume = () => driver.resume();
      driver.on('message', (event) => enqueue((event.data as Uint8Array).slice()));
    });
    const client = connect(`ws://127.0.0.1:${s.port}/`);
    await new Promise((resolve) => client.once('open', resolve));
    while (Date.now() < until) {
      if (client.binary(payload)) sent++;
      else await new Promise((resolve) => client.once('drain', resolve));
      if (sent % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    client.close();
    s.server.close();
  } else {
    // ws as a typical server uses it: every message goes to the handler's queue.
    const s = await wsServer();
    s.wss.on('connection', (ws) => ws.on('message', (data) => enqueue(data)));
    const client = new WebSocket(`ws://127.0.0.1:${s.port}/`);
    await new Promise((resolve) => client.once('open', resolve));
    while (Date.now() < until) {
      // The producer waits while its own buffer holds more than 1 MiB.
      if (client.bufferedAmount < MiB) {
        client.send(payload);
        sent++;
      } else await sleep(1);
      if (sent % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    client.terminate();
    s.server.close();
  }
  clearInterval(worker);
  return { sentMiB: (sent * 16) / 1024, handled, peakQueue, peakRssGrowthMiB: (peakRss() - baseline) / MiB };
}

/** 1,000 request heads trickling a byte every 100 ms; how many are closed within 5 s. */
async function slowloris(): Promise<Figures> {
  let port: number;
  let close: () => void;
  if (impl === 'wsdriver') {
    // A short deadline for the bench (the default is 30 s).
    const s = await wsdriverServer(() => {}, { handshakeTimeout: 2000 });
    port = s.port;
    close = () => s.server.close();
  } else {
    const s = await wsServer();
    port = s.port;
    close = () => s.server.close();
  }
  const started = Date.now();
  const sockets: net.Socket[] = [];
  let closed = 0;
  let lastClose = 0;
  for (let i = 0; i < 1000; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => {
      closed++;
      lastClose = Date.now() - started;
    });
    socket.on('data', () => {});
    socket.write('GET / HTTP/1.1\r\n');
    sockets.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of sockets) if (socket.writable) socket.write('X');
  }, 100);
  while (Date.now() - started < 5000 && closed < 1000) await sleep(20);
  clearInterval(trickle);
  const figures = { closedWithin5s: closed, lastCloseMs: closed === 1000 ? lastClose : -1, peakRssGrowthMiB: (peakRss() - baseline) / MiB };
  for (const socket of sockets) socket.destroy();
  close();
  return figures;
}

/** A client floods 125-byte pings for 2 s and never reads. */
async function pingflood(): Promise<Figures> {
  let serverTcp: net.Socket | null = null;
  let port: number;
  let close: () => void;
  let outcome = 'open';
  if (impl === 'wsdriver') {
    const s = await wsdriverServer((driver, tcp) => {
      serverTcp = tcp;
      driver.on('error', (error) => (outcome = error.code));
      driver.on('close', (event) => (outcome = outcome === 'open' ? `closed ${event.code}` : outcome));
    });
    port = s.port;
    close = () => s.server.close();
  } else {
    const s = await wsServer();
    s.wss.on('connection', (ws, request) => {
      serverTcp = request.socket as net.Socket;
      ws.on('error', (error) => (outcome = String((error as { code?: string }).code ?? error.message)));
      ws.on('close', (code) => (outcome = outcome === 'open' ? `closed ${code}` : outcome));
    });
    port = s.port;
    close = () => s.server.close();
  }
  const client = await nonReadingClient(port);
  const ping = Buffer.alloc(2 + 4 + 125);
  ping[0] = 0x89;
  ping[1] = 0x80 | 125;
  const batch = Buffer.concat(Array.from({ length: 512 }, () => ping));
  let written = 0;
  let peakServerBuffered = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until && !client.destroyed) {
    if (client.writableLength < MiB) {
      client.write(batch);
      written += batch.length;
    } else await sleep(1);
    peakServerBuffered = Math.max(peakServerBuffered, (serverTcp as net.Socket | null)?.writableLength ?? 0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const figures = {
    pingsSentMiB: written / MiB,
    peakServerBufferedMiB: peakServerBuffered / MiB,
    outcome,
    peakRssGrowthMiB: (peakRss() - baseline) / MiB,
  };
  client.destroy();
  close();
  return figures;
}

/** One message of `mib` MiB, streamed in 1 MiB pieces, client to server (upload) or server to client (download). */
async function streamed(direction: 'upload' | 'download'): Promise<Figures> {
  const piece = new Uint8Array(MiB).fill(7);
  const total = mib * MiB;
  let received = 0;
  const started = Date.now();
  const done = new Promise<void>((resolve) => {
    const count = (length: number) => {
      received += length;
      if (received >= total) resolve();
    };
    if (impl === 'wsdriver') {
      void (async () => {
        const streamingOptions = { streamMessages: true, maxStreamedMessageSize: total };
        let serverDriver = null as HttpServerDriver | null;
        const server = net.createServer((tcp) => {
          const driver = Driver.server(streamSocket(tcp), direction === 'upload' ? streamingOptions : {});
          serverDriver = driver;
          driver.on('connect', () => driver.start());
          driver.on('messagepiece', (event) => count(event.data.length));
          attach(driver, tcp);
        });
        await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
        const client = connect(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, direction === 'download' ? streamingOptions : {});
        client.on('messagepiece', (event) => count(event.data.length));
        await new Promise((ready) => client.once('open', ready));
        while (serverDriver === null || serverDriver.readyState !== 1) await sleep(1);
        const sender = direction === 'upload' ? client : serverDriver!;
        const out = startMessage(sender, 'binary')!;
        for (let sent = 0; sent < total; sent += MiB) {
          // A piece refused for maxBufferedBytes waits for drain; otherwise wait when the transport is backed up.
          while (!(sent + MiB >= total ? out.end(piece) : out.write(piece))) await new Promise((drained) => sender.once('drain', drained));
          if (sender.bufferedAmount > 4 * MiB) await new Promise((drained) => sender.once('drain', drained));
        }
        await done;
        server.close();
      })();
    } else {
      void (async () => {
        // ws assembles whole messages: its maxPayload (100 MiB by default) must be raised to take one.
        const s = await wsServer({ maxPayload: total + MiB });
        let serverSocket = null as WebSocket | null;
        s.wss.on('connection', (ws) => {
          serverSocket = ws;
          ws.on('message', (data: Buffer) => count(data.length));
        });
        const client = new WebSocket(`ws://127.0.0.1:${s.port}/`, { maxPayload: total + MiB });
        client.on('message', (data: Buffer) => count(data.length));
        await new Promise((ready) => client.once('open', ready));
        while (serverSocket === null) await sleep(1);
        const sender = direction === 'upload' ? client : (serverSocket as WebSocket);
        for (let sent = 0; sent < total; sent += MiB) {
          // Fragments with fin: false, as ws allows; waits while its buffer holds more than 4 MiB.
          sender.send(piece, { binary: true, fin: sent + MiB >= total });
          while (sender.bufferedAmount > 4 * MiB) await sleep(1);
        }
        await done;
        client.terminate();
        s.server.close();
      })();
    }
  });
  await done;
  const seconds = (Date.now() - started) / 1000;
  return { messageMiB: mib, seconds, peakRssGrowthMiB: (peakRss() - baseline) / MiB };
}

const scenarios: Record<string, () => Promise<Figures>> = {
  nonreader,
  slowhandler,
  slowloris,
  pingflood,
  upload: () => streamed('upload'),
  download: () => streamed('download'),
};

const run = scenarios[scenario];
if (run === undefined) throw new Error(`unknown scenario ${scenario}`);
const figures = await run();
process.stdout.write(JSON.stringify({ scenario, impl, ...figures }) + '\n');
process.exit(0);
