import { createServer, type AddressInfo, type Server, type Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import { attach, streamSocket } from '../../lib/adapters/node/index.js';

describe('attach: a peer that never answers the close frame', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('destroys the stream after closeTimeout and reports 1006', async () => {
    // A raw TCP peer that completes no WebSocket closing handshake: it reads
    // and ignores everything, and never closes.
    const peers: NetSocket[] = [];
    const server = createServer((socket) => {
      peers.push(socket);
      socket.on('data', () => {});
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const { connect } = await import('node:net');
    const tcp = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => tcp.on('connect', () => resolve()));
    // A server driver over the client end: we play the server, the peer never speaks.
    const driver = Driver.rack(
      streamSocket(tcp, {
        env: {
          REQUEST_METHOD: 'GET',
          HTTP_HOST: 'localhost',
          HTTP_UPGRADE: 'websocket',
          HTTP_CONNECTION: 'Upgrade',
          HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==',
          HTTP_SEC_WEBSOCKET_VERSION: '13',
        },
      }),
    );
    attach(driver, tcp, { closeTimeout: 50 });
    driver.start();
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) => driver.on('close', resolve));
    expect(driver.close(1000, 'bye')).toBe(true);
    expect(driver.readyState).toBe(2);
    const event = await closed;
    expect(event.code).toBe(1006);
    expect(event.wasClean).toBe(false);
    expect(tcp.destroyed).toBe(true);
    for (const peer of peers) peer.destroy();
  });
});
