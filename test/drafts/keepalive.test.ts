// Keepalive on a draft connection: the hixie drafts have no ping, so the
// deadlines must not wait for a pong that no ping asked for. At the driver
// level with a clock passed in, and end to end through WebSocketServer
// over loopback TCP with a raw hixie-75 client.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { deadlineKeeper } from '../../lib/index.js';
import { WebSocketServer } from '../../lib/adapters/node/index.js';
import '../../lib/drafts/index.js';
import { Cleanup, listen, readUntil, tcpConnect } from '../interop/support.js';
import { draftRequestText, open75, open76, sentinelFrame } from './draft-helpers.js';

const opens = { 'hixie-75': open75, 'hixie-76': open76 } as const;

describe.each(['hixie-75', 'hixie-76'] as const)('keepalive deadlines on %s', (version) => {
  it('an idle connection stays open: no ping is sent, so no pong is due', () => {
    const { driver, rec } = opens[version]();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100, pingTimeout: 50 }), 0);
    for (let now = 0; now <= 1_000; now += 25) driver.tick(now);
    expect(rec.events).toEqual([]);
    expect(driver.readyState).toBe(1);
    expect(rec.take().length).toBe(0);
    // Keepalive stopped at the first ping that could not go: the adapter's timer need not wake again.
    expect(driver.deadline).toBeNull();
    // Still a working connection.
    driver.parse(sentinelFrame('still here'));
    expect(rec.events).toEqual([{ type: 'message', data: 'still here' }]);
  });

  it('an idle connection with a pong deadline only (pingTimeout, default pingInterval) stays open', () => {
    const { driver, rec } = opens[version]();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100 }), 0);
    for (let now = 0; now <= 500; now += 100) driver.tick(now);
    expect(rec.events).toEqual([]);
    expect(driver.readyState).toBe(1);
  });
});

describe('keepalive stopped on a draft leaves the other deadlines running', () => {
  it('hixie-76: the closing handshake still times out (CLOSE_TIMEOUT, 1006)', () => {
    const { driver, rec } = open76();
    driver.useDeadlines(deadlineKeeper({ pingInterval: 100, closeTimeout: 300 }), 0);
    driver.tick(0);
    driver.tick(100);
    expect(driver.deadline).toBeNull();
    driver.close();
    driver.tick(150);
    expect(driver.deadline).toBe(450);
    driver.tick(450);
    expect(rec.events).toMatchObject([
      { type: 'error', code: 'CLOSE_TIMEOUT' },
      { type: 'close', code: 1006, wasClean: false },
    ]);
  });
});

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('WebSocketServer with allowDrafts and pingInterval, over loopback TCP', () => {
  it('keeps an idle hixie-75 connection open past several ping intervals, then still echoes', async () => {
    const server = cleanup.server(http.createServer());
    const wss = new WebSocketServer({
      allowDrafts: true,
      pingInterval: 60,
      pingTimeout: 60,
      handler: () => ({ onMessage: (client, data) => client.write(data) }),
    }).serve(server);
    cleanup.add(() => wss.close(1001, '', { timeout: 0 }));
    const port = await listen(server);
    const tcp = await tcpConnect(cleanup, port);
    let ended = false;
    tcp.on('close', () => (ended = true));
    tcp.write(draftRequestText({ host: `127.0.0.1:${port}` }));
    const head = await readUntil(tcp, (bytes) => bytes.includes('\r\n\r\n'));
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 Web Socket Protocol Handshake\r\n/);

    // Before the fix the pong deadline failed the connection after one interval and a timeout (~120 ms here).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ended).toBe(false);
    expect(wss.clients.size).toBe(1);

    tcp.write(sentinelFrame('after idling'));
    const echo = await readUntil(tcp, (bytes) => bytes.includes(0xff));
    expect(new Uint8Array(echo)).toEqual(sentinelFrame('after idling'));
  });
});
