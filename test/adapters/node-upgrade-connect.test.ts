/**
 * The Node adapter's `handleUpgrade` (rack-style driver under
 * `http.createServer`'s `upgrade` event) and `connect` (a client over TCP
 * or TLS in one call), on 127.0.0.1 and ::1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Driver, ProtocolError, type ServerSideDriver } from '../../lib/index.js';
import { connect, handleUpgrade, type NodeDriverOptions } from '../../lib/adapters/node/index.js';
import { Op, clientFrame, concat, decodeFrames, parseHead, requestHead } from '../helpers/index.js';
import { Cleanup, Inbox, listen, next, once, readToEnd, readUntil, tcpConnect } from '../interop/support.js';
import { OPENSSL, peerAvailable } from '../helpers/peers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** An HTTP server whose upgrades go to handleUpgrade; `setup` sees each driver. */
async function upgradeServer(options: NodeDriverOptions = {}, setup: (driver: ServerSideDriver) => void = () => {}) {
  const drivers: ServerSideDriver[] = [];
  const server = cleanup.server(
    http.createServer((_request, response) => response.end('plain HTTP\n')),
  );
  server.on('upgrade', (request, socket, head) => {
    if (!Driver.isWebSocket(request)) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const driver = handleUpgrade(request, socket, head, options);
    drivers.push(driver);
    setup(driver);
  });
  const port = await listen(server);
  return { port, url: `ws://127.0.0.1:${port}/socket`, drivers, http: server };
}

function echo(driver: ServerSideDriver): void {
  driver.on('message', (event) => (typeof event.data === 'string' ? driver.text(event.data) : driver.binary(event.data)));
}

describe('handleUpgrade', () => {
  it('copies head: neither node:http reusing it nor the driver unmasking in place touches the other', async () => {
    const server = await upgradeServer({}, echo);
    const heads: Array<{ head: Buffer; before: Buffer }> = [];
    // Runs after handleUpgrade: keeps what node:http handed over, then overwrites a copy of it.
    server.http.on('upgrade', (_request, _socket, head: Buffer) => {
      heads.push({ head, before: Buffer.from(head) });
    });
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(concat(requestHead({ host: `127.0.0.1:${server.port}` }), clientFrame(Op.TEXT, 'read from head')));
    const reply = parseHead(await readUntil(tcp, (bytes) => bytes.includes('read from head')));
    expect(reply.status).toBe(101);
    expect(Buffer.from(decodeFrames(reply.rest)[0]!.payload).toString()).toBe('read from head');
    expect(heads).toHaveLength(1);
    expect(heads[0]!.before.length).toBeGreaterThan(0);
    // The driver unmasked its own copy: the caller's bytes are still the masked frame.
    expect(heads[0]!.head.equals(heads[0]!.before)).toBe(true);
    heads[0]!.head.fill(0);
  });

  it('keeps no deadline for an open connection without keepalive, and times the first ping from open with it', async () => {
    const plain = await upgradeServer();
    const ws = new WebSocket(plain.url);
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    expect(plain.drivers[0]!.readyState).toBe(1);
    expect(plain.drivers[0]!.deadline).toBeNull();

    const keepalive = await upgradeServer({ pingInterval: 5_000 });
    const pinged = new WebSocket(keepalive.url);
    cleanup.add(() => pinged.terminate());
    await once(pinged, 'open');
    const until = keepalive.drivers[0]!.deadline! - Date.now();
    expect(until).toBeGreaterThan(4_000);
    expect(until).toBeLessThanOrEqual(5_000);
  });

  it("reports an open listener's exception as uncaught (not as a rejection), and the connection still opens", async () => {
    const uncaught: unknown[] = [];
    const rejected: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    const onRejected = (error: unknown) => rejected.push(error);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onRejected);
    cleanup.add(() => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onRejected);
    });
    const server = await upgradeServer({}, (driver) => {
      driver.on('open', () => {
        throw new Error('open listener failure');
      });
      echo(driver);
    });
    const ws = new WebSocket(server.url);
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    ws.send('still echoed');
    const reply = await once(ws, 'message');
    expect(String(reply)).toBe('still echoed');
    expect(uncaught.map((error) => (error as Error).message)).toEqual(['open listener failure']);
    expect(rejected).toEqual([]);
  });

  it('opens for a ws client: listeners added after the call see open, and messages echo', async () => {
    const opened: string[] = [];
    const server = await upgradeServer({ protocols: ['chat'] }, (driver) => {
      driver.on('open', () => opened.push(driver.url));
      echo(driver);
    });
    const ws = new WebSocket(server.url + '?q=1', ['chat']);
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.protocol).toBe('chat');
    expect(opened).toEqual([`ws://127.0.0.1:${server.port}/socket?q=1`]);
    expect(server.drivers[0]!.env).toMatchObject({ REQUEST_METHOD: 'GET', PATH_INFO: '/socket', QUERY_STRING: 'q=1' });
    ws.send('round trip');
    expect(String(await once(ws, 'message'))).toBe('round trip');
  });

  it('does not keep node:http’s request for the connection’s life: it is collected while the connection is open', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let request: WeakRef<http.IncomingMessage> | null = null;
    const server = cleanup.server(http.createServer());
    server.on('upgrade', (incoming: http.IncomingMessage, socket, head) => {
      request = new WeakRef(incoming);
      echo(handleUpgrade(incoming, socket, head));
    });
    const port = await listen(server);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    ws.send('still open');
    expect(String(await once(ws, 'message'))).toBe('still open');
    for (let i = 0; i < 5 && request!.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(request!.deref()).toBeUndefined();
    ws.send('and after');
    expect(String(await once(ws, 'message'))).toBe('and after');
  });

  it('keeps frames that node:http read with the request head (the head argument)', async () => {
    const server = await upgradeServer({}, echo);
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(concat(requestHead({ host: `127.0.0.1:${server.port}` }), clientFrame(Op.TEXT, 'early bird')));
    const reply = await readUntil(tcp, (bytes) => {
      const end = bytes.indexOf('\r\n\r\n');
      return end >= 0 && bytes.length > end + 4 + 2 + 'early bird'.length - 1;
    });
    const head = parseHead(reply);
    expect(head.status).toBe(101);
    expect(Buffer.from(decodeFrames(head.rest)[0]!.payload).toString()).toBe('early bird');
  });

  it('sends headers set right after the call, before the deferred start', async () => {
    const server = await upgradeServer({}, (driver) => driver.setHeader('X-Room', 'lobby'));
    const ws = new WebSocket(server.url);
    cleanup.add(() => ws.terminate());
    const response = await once<http.IncomingMessage>(ws, 'upgrade');
    expect(response.headers['x-room']).toBe('lobby');
  });

  it('lets the application reject instead: the response is written and TCP ended', async () => {
    const server = await upgradeServer({}, (driver) => driver.reject(403, 'Forbidden'));
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(requestHead());
    expect((await readToEnd(tcp)).toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    expect(server.drivers[0]!.readyState).toBe(3);
  });

  it('answers an invalid handshake (no key) with 400 and ends TCP', async () => {
    const server = await upgradeServer();
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(requestHead({ key: null }));
    expect((await readToEnd(tcp)).toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('reports a reset of the upgraded socket as a TRANSPORT_ERROR error, then 1006 with its message', async () => {
    const server = await upgradeServer();
    const tcp = await tcpConnect(cleanup, server.port);
    tcp.write(requestHead({ target: '/socket' }));
    await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    const driver = server.drivers[0]!;
    const errors: ProtocolError[] = [];
    driver.on('error', (error) => errors.push(error));
    const closed = next(driver, 'close');
    tcp.resetAndDestroy();
    const event = await closed;
    expect(errors.map((error) => error.code)).toEqual(['TRANSPORT_ERROR']);
    expect((errors[0]!.cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(event).toEqual({ code: 1006, reason: errors[0]!.message, wasClean: false });
  });

  it('ends TCP after a close the client started, as the server must', async () => {
    const server = await upgradeServer();
    const ws = new WebSocket(server.url);
    cleanup.add(() => ws.terminate());
    await once(ws, 'open');
    const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
    const serverClosed = next(server.drivers[0]!, 'close');
    ws.close(4001, 'bye');
    expect(await serverClosed).toEqual({ code: 4001, reason: 'bye', wasClean: true });
    expect(await closed).toBe(4001);
  });

  it('throws on an unknown option, as the drivers do', async () => {
    const errors: unknown[] = [];
    const server = cleanup.server(http.createServer());
    server.on('upgrade', (request, socket, head) => {
      try {
        handleUpgrade(request, socket, head, { nonsense: true } as NodeDriverOptions);
      } catch (error) {
        errors.push(error);
        socket.destroy();
      }
    });
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    tcp.write(requestHead());
    await once(tcp, 'close');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });
});

describe('connect', () => {
  async function wsServer(server?: http.Server | https.Server) {
    const wss = server ? new WebSocketServer({ server }) : new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const headers: http.IncomingHttpHeaders[] = [];
    wss.on('connection', (peer, request) => {
      headers.push(request.headers);
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
    });
    cleanup.add(() => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }));
    if (!server) await once(wss, 'listening');
    return { wss, headers };
  }

  it('opens over TCP, sending the given headers, and echoes', async () => {
    const { wss, headers } = await wsServer();
    const driver = connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/x`, { headers: { 'X-Token': 'abc' } });
    cleanup.add(() => driver.transportClosed());
    await next(driver, 'open');
    expect(headers[0]!['x-token']).toBe('abc');
    driver.text('hi');
    expect(await new Inbox(driver).take(1)).toEqual(['hi']);
  });

  it('connects to an IPv6 literal host', async () => {
    const server = cleanup.server(http.createServer());
    try {
      await listen(server, '::1');
    } catch {
      return; // no IPv6 loopback on this machine
    }
    await wsServer(server);
    const driver = connect(`ws://[::1]:${(server.address() as AddressInfo).port}/`);
    cleanup.add(() => driver.transportClosed());
    await next(driver, 'open');
    expect(driver.url).toContain('[::1]');
  });

  it('reports a refused connection as a TRANSPORT_ERROR error, then closes with 1006 and its message', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const driver = connect(`ws://127.0.0.1:${port}/`);
    const events: string[] = [];
    const errors: ProtocolError[] = [];
    driver.on('error', (error) => {
      events.push('error');
      errors.push(error);
    });
    driver.on('close', () => events.push('close'));
    const closed = await next(driver, 'close');
    expect(events).toEqual(['error', 'close']);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    const cause = errors[0]!.cause as NodeJS.ErrnoException;
    expect(cause.code).toBe('ECONNREFUSED');
    expect(closed).toEqual({ code: 1006, reason: cause.message, wasClean: false });
    expect(closed.reason).toContain('ECONNREFUSED');
  });

  // RFC 6761 §6.4: names under .invalid never resolve, so this fails locally, without a network.
  it('reports an unresolvable host name as a TRANSPORT_ERROR error whose cause is the lookup failure', async () => {
    const driver = connect('ws://no-such-host.invalid/');
    const errors: ProtocolError[] = [];
    driver.on('error', (error) => errors.push(error));
    const closed = await next(driver, 'close');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
    const cause = errors[0]!.cause as NodeJS.ErrnoException;
    // ENOTFOUND from the resolver; EAI_AGAIN where the machine has no resolver at all.
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code);
    expect(closed).toEqual({ code: 1006, reason: cause.message, wasClean: false });
  });

  // Checked before any socket is opened: a socket left behind would fail
  // later with an unhandled 'error' (which Vitest reports).
  it('throws at once on a URL that is not ws: or wss:, an unknown option or a bad header, opening nothing', () => {
    expect(() => connect('ftp://127.0.0.1/')).toThrow(TypeError);
    expect(() => connect('ws://127.0.0.1:1/', { nonsense: 1 } as NodeDriverOptions)).toThrow(TypeError);
    expect(() => connect('ws://127.0.0.1:1/', { headers: { 'X-Bad': 'a\r\nInjected: yes' } })).toThrow();
    expect(() => connect('ws://127.0.0.1:1/', { closeTimeout: -5 })).toThrow(RangeError);
  });

  describe('over TLS (wss:)', () => {
    let cert = '';
    let key = '';
    const hasOpenssl = peerAvailable(OPENSSL);

    beforeAll(() => {
      if (!hasOpenssl) return;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'wsdriver-tls-'));
      try {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
          '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
        ], { stdio: 'ignore' });
        cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
        key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    async function tlsServer() {
      const server = cleanup.server(https.createServer({ cert, key }));
      const port = await listen(server);
      await wsServer(server);
      return port;
    }

    it('opens to a server whose certificate it trusts, sending SNI, and echoes', async ({ skip }) => {
      if (!hasOpenssl) skip();
      const port = await tlsServer();
      const driver = connect(`wss://localhost:${port}/`, { tls: { ca: cert } });
      cleanup.add(() => driver.transportClosed());
      await next(driver, 'open');
      driver.binary(Uint8Array.of(1, 2, 3));
      const [echoed] = await new Inbox(driver).take(1);
      expect([...(echoed as Uint8Array)]).toEqual([1, 2, 3]);
    });

    it('fails with 1006 and reports the TLS error for a certificate it does not trust', async ({ skip }) => {
      if (!hasOpenssl) skip();
      const port = await tlsServer();
      const errors: ProtocolError[] = [];
      const driver = connect(`wss://localhost:${port}/`);
      driver.on('error', (error) => errors.push(error));
      const closed = await next(driver, 'close');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'TRANSPORT_ERROR', closeCode: 1006 });
      const cause = errors[0]!.cause as NodeJS.ErrnoException;
      expect(cause.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(closed).toEqual({ code: 1006, reason: cause.message, wasClean: false });
    });
  });
});
