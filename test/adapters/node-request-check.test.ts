/**
 * `Driver.isWebSocket` on Node (lib/adapters/node/request-check.ts): a
 * node:http request whose `headers` nobody has read is checked from
 * `rawHeaders`, with node:http's own answer, and its headers object is
 * not built for the check.
 */
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Driver } from '../../lib/index.js';
import '../../lib/adapters/node/index.js';
import { asksForWebSocket } from '../../lib/handshake/server-handshake.js';

/** Whether node:http has built `message.headers` yet (its `kHeaders` slot is null until then). */
function headersBuilt(message: IncomingMessage): boolean {
  const built = Object.getOwnPropertySymbols(message).find((symbol) => symbol.description === 'kHeaders')!;
  return (message as unknown as Record<symbol, unknown>)[built] !== null;
}

/** What `onUpgrade` makes of the request a real node:http server hands over for `head` (`upgrade` or `request` event). */
async function onUpgradeOf<T>(head: string, onUpgrade: (message: IncomingMessage) => T, maxHeadersCount?: number): Promise<T> {
  const server = http.createServer();
  if (maxHeadersCount !== undefined) server.maxHeadersCount = maxHeadersCount;
  try {
    const result = new Promise<T>((resolve, reject) => {
      const read = (message: IncomingMessage, socket: net.Socket) => {
        socket.destroy();
        try {
          resolve(onUpgrade(message));
        } catch (error) {
          reject(error);
        }
      };
      server.on('upgrade', read);
      // A request without `Connection: upgrade` comes as a plain request.
      server.on('request', (message: IncomingMessage) => read(message, message.socket as net.Socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => client.write(head));
    client.on('error', () => {});
    return await result;
  } finally {
    server.close();
  }
}

const request = (method: string, ...fields: string[]) => [`${method} /chat HTTP/1.1`, 'Host: example.com', ...fields, '', ''].join('\r\n');

describe('Driver.isWebSocket of a node:http request', () => {
  // node:http hands a request without `Connection: upgrade` to its
  // `request` event, and has read its `headers` by then (for `Expect`):
  // the check then reads that object.
  it.each([
    ['a handshake', request('GET', 'Upgrade: websocket', 'Connection: Upgrade'), true],
    ['names and values in other cases', request('GET', 'UPGRADE: WebSocket', 'connection: keep-alive, UPGRADE'), true],
    ['Connection split over two fields (node:http joins them)', request('GET', 'Connection: keep-alive', 'Upgrade: websocket', 'CONNECTION: Upgrade'), true],
    ['Upgrade split over two fields', request('GET', 'Upgrade: h2c', 'Connection: Upgrade', 'upgrade: websocket'), true],
    ['another protocol', request('GET', 'Upgrade: h2c', 'Connection: Upgrade'), false],
    ['a POST', request('POST', 'Upgrade: websocket', 'Connection: Upgrade', 'Content-Length: 0'), false],
  ])('%s: answers as on node:http\'s headers, without making them', async (_name, head, expected) => {
    const { answer, builtAfter, onHeaders } = await onUpgradeOf(head, (message) => {
      const answer = Driver.isWebSocket(message);
      const builtAfter = headersBuilt(message);
      return { answer, builtAfter, onHeaders: asksForWebSocket(message.method!, message.headers.connection, message.headers.upgrade) };
    });
    expect(answer).toBe(expected);
    expect(onHeaders).toBe(expected);
    expect(builtAfter).toBe(false);
  });

  it.each([
    ['no Connection', request('GET', 'Upgrade: websocket')],
    ['Connection without the upgrade token', request('GET', 'Upgrade: websocket', 'Connection: keep-alive, upgraded')],
  ])('%s (a plain request): false', async (_name, head) => {
    expect(await onUpgradeOf(head, (message) => Driver.isWebSocket(message))).toBe(false);
  });

  it('does not count a field past node:http\'s header limit, which its headers leave out', async () => {
    const head = request('GET', 'Upgrade: websocket', 'Connection: Upgrade');
    const { answer, connection } = await onUpgradeOf(head, (message) => ({ answer: Driver.isWebSocket(message), connection: message.headers.connection }), 2);
    expect(connection).toBeUndefined();
    expect(answer).toBe(false);
  });

  it('reads headers an application has read or changed, not the raw ones', async () => {
    const head = request('GET', 'Upgrade: websocket', 'Connection: Upgrade');
    const answer = await onUpgradeOf(head, (message) => {
      message.headers.upgrade = 'h2c';
      return Driver.isWebSocket(message);
    });
    expect(answer).toBe(false);
  });

  it('still takes the other request shapes (a Rack env)', () => {
    expect(Driver.isWebSocket({ REQUEST_METHOD: 'GET', HTTP_CONNECTION: 'Upgrade', HTTP_UPGRADE: 'websocket' } as never)).toBe(true);
    expect(Driver.isWebSocket({ REQUEST_METHOD: 'GET', HTTP_CONNECTION: 'Upgrade', HTTP_UPGRADE: 'h2c' } as never)).toBe(false);
  });
});
