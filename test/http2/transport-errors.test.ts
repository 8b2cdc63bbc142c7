/**
 * WebSocket over HTTP/2 when the transport fails: a refused connection, a
 * stream reset mid-connection, a TCP reset under the session. Each ends in
 * `error` (TRANSPORT_ERROR, closeCode 1006, `cause` the Node error) and
 * then `close` 1006 with the cause's message as the reason.
 */
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloseEvent, FramingClientDriver, FramingServerDriver, ProtocolError } from '../../lib/index.js';
import { connectHttp2, handleHttp2Stream } from '../../lib/adapters/node/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const task of cleanups.splice(0).reverse()) await task();
});

/** Records a driver's errors and the order of `error` and `close`. */
function watch(driver: FramingClientDriver | FramingServerDriver) {
  const order: string[] = [];
  const errors: ProtocolError[] = [];
  driver.on('error', (error) => {
    order.push('error');
    errors.push(error);
  });
  const closed = new Promise<CloseEvent>((resolve) =>
    driver.on('close', (event) => {
      order.push('close');
      resolve(event);
    }),
  );
  return { order, errors, closed };
}

async function echoServer() {
  const server = http2.createServer({ settings: { enableConnectProtocol: true } });
  const drivers: FramingServerDriver[] = [];
  const streams: http2.ServerHttp2Stream[] = [];
  const sockets: net.Socket[] = [];
  server.on('connection', (socket: net.Socket) => sockets.push(socket));
  server.on('stream', (stream, headers) => {
    streams.push(stream);
    const driver = handleHttp2Stream(stream, headers);
    driver.on('message', (event) => driver.text(String(event.data)));
    drivers.push(driver);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, drivers, streams, sockets };
}

async function openClient(port: number) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {}); // reported through the driver
  cleanups.push(() => session.destroy());
  // Keeps each stream connectHttp2 opens, so a test can reset it.
  const request = session.request.bind(session);
  session.request = ((...args: Parameters<typeof request>) => {
    const stream = request(...args);
    opened.set(session, [...(opened.get(session) ?? []), stream]);
    return stream;
  }) as typeof session.request;
  const driver = connectHttp2(session, `ws://127.0.0.1:${port}/`);
  await new Promise<void>((resolve) => driver.on('open', () => resolve()));
  return { session, driver };
}

describe('connectHttp2 and handleHttp2Stream report transport failures', () => {
  it('a refused connection: the client driver reports ECONNREFUSED as the cause', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const driver = connectHttp2(session, `ws://127.0.0.1:${port}/`);
    const { order, errors, closed } = watch(driver);
    const event = await closed;
    expect(order).toEqual(['error', 'close']);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    const cause = errors[0]!.cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ECONNREFUSED');
    expect(event).toEqual({ code: 1006, reason: cause.message, wasClean: false });
  });

  it('a stream reset mid-connection: the client driver reports the stream error', async () => {
    const server = await echoServer();
    const { driver } = await openClient(server.port);
    const seen = watch(driver);
    // RST_STREAM with INTERNAL_ERROR: the abrupt end of this WebSocket only.
    server.streams[0]!.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    const event = await seen.closed;
    expect(seen.order).toEqual(['error', 'close']);
    expect(seen.errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    const cause = seen.errors[0]!.cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(event).toEqual({ code: 1006, reason: cause.message, wasClean: false });
  });

  // Node emits no 'error' for CANCEL; RFC 8441 §5 makes it the stream's TCP reset all the same.
  it('a stream reset with CANCEL mid-connection: the client driver reports the reset as the cause', async () => {
    const server = await echoServer();
    const { driver } = await openClient(server.port);
    const seen = watch(driver);
    server.streams[0]!.close(http2.constants.NGHTTP2_CANCEL);
    const event = await seen.closed;
    expect(seen.order).toEqual(['error', 'close']);
    expect(seen.errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect((seen.errors[0]!.cause as Error).message).toContain('RST_STREAM code 8');
    expect(event).toEqual({ code: 1006, reason: (seen.errors[0]!.cause as Error).message, wasClean: false });
  });

  it('a stream reset by the client: the server driver reports the stream error', async () => {
    const server = await echoServer();
    const { session } = await openClient(server.port);
    const seen = watch(server.drivers[0]!);
    // The client's side of the stream, reset as a browser tab crashing would.
    const [clientStream] = clientStreams(session);
    clientStream!.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    const event = await seen.closed;
    expect(seen.order).toEqual(['error', 'close']);
    expect((seen.errors[0]!.cause as NodeJS.ErrnoException).code).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(event).toMatchObject({ code: 1006, wasClean: false });
    expect(event.reason).toBe(seen.errors[0]!.message);
  });

  it('a TCP reset under the session: the client driver reports the reset', async () => {
    const server = await echoServer();
    const { driver } = await openClient(server.port);
    const { order, errors, closed } = watch(driver);
    server.sockets[0]!.resetAndDestroy();
    const event = await closed;
    expect(event.code).toBe(1006);
    expect(event.wasClean).toBe(false);
    expect(order[0]).toBe('error');
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    expect(event.reason).toBe(errors[0]!.message);
    expect(errors[0]!.cause).toBeInstanceOf(Error);
  });
});

/** The client streams the test opened, recorded by the request hook below. */
function clientStreams(session: http2.ClientHttp2Session): http2.ClientHttp2Stream[] {
  return opened.get(session) ?? [];
}
const opened = new Map<http2.ClientHttp2Session, http2.ClientHttp2Stream[]>();
