import { connect, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Driver, ReadyState, type CloseEvent, type ProtocolError } from '../../lib/index.js';
import { runOverStreams, type ByteStreamPair } from '../../lib/adapters/streams/index.js';

/** Two byte-stream pairs wired to each other, like the two ends of a socket. */
function streamPipe(): [ByteStreamPair, ByteStreamPair] {
  const aToB = new TransformStream<Uint8Array, Uint8Array>();
  const bToA = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: bToA.readable, writable: aToB.writable },
    { readable: aToB.readable, writable: bToA.writable },
  ];
}

function nextEvent<T>(subscribe: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise(subscribe);
}

describe('runOverStreams', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('connects a client and a server driver over in-memory WHATWG streams and echoes', async () => {
    const [clientEnd, serverEnd] = streamPipe();
    const server = runOverStreams(serverEnd, (socket) => Driver.server(socket));
    server.driver.on('connect', () => server.driver.start());
    server.driver.on('message', (event) => server.driver.text(`echo ${String(event.data)}`));

    const client = runOverStreams(clientEnd, (socket) => Driver.client(socket), { url: 'ws://example.test/x' });
    const reply = nextEvent<string>((resolve) => client.driver.on('message', (e) => resolve(String(e.data))));
    client.driver.start();
    client.driver.text('hello');
    expect(await reply).toBe('echo hello');

    const serverClosed = nextEvent<number>((resolve) => server.driver.on('close', (e) => resolve(e.code)));
    const clientClosed = nextEvent<{ code: number; wasClean: boolean }>((resolve) =>
      client.driver.on('close', (e) => resolve(e)),
    );
    client.driver.close(4000, 'done');
    expect(await serverClosed).toBe(4000);
    expect(await clientClosed).toEqual({ code: 4000, reason: '', wasClean: true });
    // Both drivers closed their writable side, so both readable sides end.
    await Promise.all([client.done, server.done]);
  });

  it('reports 1006 when the readable side ends with no close handshake', async () => {
    let toServer!: ReadableStreamDefaultController<Uint8Array>;
    const written: Uint8Array[] = [];
    const serverEnd: ByteStreamPair = {
      readable: new ReadableStream<Uint8Array>({ start: (controller) => void (toServer = controller) }),
      writable: new WritableStream<Uint8Array>({ write: (chunk) => void written.push(chunk) }),
    };
    const server = runOverStreams(serverEnd, (socket) => Driver.server(socket));
    server.driver.on('connect', () => server.driver.start());
    const opened = nextEvent<void>((resolve) => server.driver.on('open', () => resolve()));
    const client = Driver.client({ url: 'ws://example.test/', write: (bytes) => toServer.enqueue(bytes.slice()) });
    client.start();
    await opened;

    const closed = nextEvent<{ code: number; wasClean: boolean }>((resolve) =>
      server.driver.on('close', (e) => resolve(e)),
    );
    // The transport ends without a close frame.
    toServer.close();
    const event = await closed;
    expect(event.code).toBe(1006);
    expect(event.wasClean).toBe(false);
    await server.done;
    expect(written.length).toBeGreaterThan(0);
  });

  /** A server driver over streams the test controls, opened by an in-memory client. */
  async function openServer(writable: WritableStream<Uint8Array>) {
    let toServer!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({ start: (controller) => void (toServer = controller) });
    const server = runOverStreams({ readable, writable }, (socket) => Driver.server(socket));
    server.driver.on('connect', () => server.driver.start());
    const opened = nextEvent<void>((resolve) => server.driver.on('open', () => resolve()));
    const client = Driver.client({ url: 'ws://example.test/', write: (bytes) => toServer.enqueue(bytes.slice()) });
    client.start();
    await opened;
    const events: string[] = [];
    const errors: ProtocolError[] = [];
    server.driver.on('error', (error) => {
      events.push('error');
      errors.push(error);
    });
    const closed = nextEvent<CloseEvent>((resolve) =>
      server.driver.on('close', (event) => {
        events.push('close');
        resolve(event);
      }),
    );
    return { server, toServer, events, errors, closed };
  }

  it('reports a failed read as a TRANSPORT_ERROR error with the cause, then 1006 with its message', async () => {
    const { server, toServer, events, errors, closed } = await openServer(new WritableStream());
    const cause = new Error('connection reset by peer');
    toServer.error(cause);
    expect(await closed).toEqual({ code: 1006, reason: 'connection reset by peer', wasClean: false });
    expect(events).toEqual(['error', 'close']);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect(errors[0]!.cause).toBe(cause);
    await server.done;
  });

  it('reports a failed write the same way, and stops reading', async () => {
    let failNext = false;
    const cause = new Error('broken pipe');
    const writable = new WritableStream<Uint8Array>({
      write() {
        if (failNext) throw cause;
      },
    });
    const { server, events, errors, closed } = await openServer(writable);
    failNext = true;
    server.driver.text('lost');
    expect(await closed).toEqual({ code: 1006, reason: 'broken pipe', wasClean: false });
    expect(events).toEqual(['error', 'close']);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect(errors[0]!.cause).toBe(cause);
    // The read side was cancelled, so the pump ends although the peer never ended it.
    await server.done;
    expect(server.driver.readyState).toBe(ReadyState.CLOSED);
    expect(server.driver.text('after')).toBe(false);
  });

  it('carries a wsdriver client to a ws server over a real TCP socket (Duplex.toWeb)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => wss.close());
    await nextEvent<void>((resolve) => wss.on('listening', () => resolve()));
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const { port } = wss.address() as AddressInfo;

    const tcp = connect(port, '127.0.0.1');
    cleanups.push(() => tcp.destroy());
    await nextEvent<void>((resolve) => tcp.on('connect', () => resolve()));
    const web = Duplex.toWeb(tcp) as unknown as ByteStreamPair;
    const { driver } = runOverStreams(web, (socket) => Driver.client(socket), { url: `ws://127.0.0.1:${port}/` });

    const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const echoed = nextEvent<Uint8Array>((resolve) =>
      driver.on('message', (e) => resolve(e.data as Uint8Array)),
    );
    driver.start();
    driver.binary(payload);
    expect(await echoed).toEqual(payload);
    const closed = nextEvent<number>((resolve) => driver.on('close', (e) => resolve(e.code)));
    driver.close();
    expect(await closed).toBe(1000);
  });

  it('a driver closed while paused reads its readable side to the end: done resolves when the peer ends it', async () => {
    let toServer!: ReadableStreamDefaultController<Uint8Array>;
    const serverEnd: ByteStreamPair = {
      readable: new ReadableStream<Uint8Array>({ start: (controller) => void (toServer = controller) }),
      writable: new WritableStream<Uint8Array>(),
    };
    const server = runOverStreams(serverEnd, (socket) => Driver.server(socket));
    server.driver.pause();
    await new Promise((resolve) => setTimeout(resolve, 0));
    server.driver.close();
    // The peer sends a little more, then ends its side.
    toServer.enqueue(new Uint8Array(10));
    toServer.close();
    const outcome = await Promise.race([server.done.then(() => 'done'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000))]);
    expect(outcome).toBe('done');
    expect(server.driver.isPaused).toBe(false);
  });

  it('keeps pumping after an application listener throws, and reports the error', async () => {
    const [clientEnd, serverEnd] = streamPipe();
    const server = runOverStreams(serverEnd, (socket) => Driver.server(socket));
    server.driver.on('connect', () => server.driver.start());
    const received: string[] = [];
    server.driver.on('message', (e) => {
      received.push(String(e.data));
      if (e.data === 'boom') throw new Error('listener failure');
    });
    const reported = nextEvent<unknown>((resolve) => {
      const handler = (error: unknown) => {
        process.off('uncaughtException', handler);
        resolve(error);
      };
      process.on('uncaughtException', handler);
    });
    const client = runOverStreams(clientEnd, (socket) => Driver.client(socket), { url: 'ws://example.test/' });
    client.driver.start();
    client.driver.text('boom');
    client.driver.text('after');
    expect(((await reported) as Error).message).toBe('listener failure');
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['boom', 'after']);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}
