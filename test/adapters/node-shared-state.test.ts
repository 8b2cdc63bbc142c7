/**
 * What handleUpgrade shares between connections (lib/adapters/node/shared-state.ts):
 * resolved options, and the common header values of a request.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import http, { IncomingMessage } from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectionSettings, readUpgradeRequest, sharedOptions, withCommonValues } from '../../lib/adapters/node/shared-state.js';
import { normalizeRequest } from '../../lib/http/request.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('options shared between connections', () => {
  it('equal options resolve to one frozen object; different ones do not', () => {
    const one = sharedOptions({ maxLength: 1000, protocols: ['chat'] });
    expect(sharedOptions({ protocols: ['chat'], maxLength: 1000 })).toBe(one);
    expect(Object.isFrozen(one)).toBe(true);
    expect(sharedOptions({ maxLength: 1000, protocols: ['other'] })).not.toBe(one);
    expect(sharedOptions({ maxLength: 1001, protocols: ['chat'] }).maxLength).toBe(1001);
    expect(sharedOptions({})).toBe(DEFAULT_OPTIONS);
  });

  it('a bad value still throws when the same options were resolved before', () => {
    sharedOptions({ maxLength: 10 });
    expect(() => sharedOptions({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
  });
});

describe("handleUpgrade's settings per connection", () => {
  it('options with the same entries as last time, in a fresh object, get the same settings', () => {
    const one = connectionSettings({ maxLength: 1000, closeTimeout: 50 });
    expect(connectionSettings({ maxLength: 1000, closeTimeout: 50 })).toBe(one);
    expect(one.driver.maxLength).toBe(1000);
    expect(one.attach.closeTimeout).toBe(50);
    expect(one.attach.handshakeTimeout).toBe(30_000);
    expect(connectionSettings({ maxLength: 1000, closeTimeout: 60 }).attach.closeTimeout).toBe(60);
    expect(connectionSettings({ maxLength: 1000 }).attach.closeTimeout).toBe(30_000);
    expect(connectionSettings(undefined).driver).toBe(DEFAULT_OPTIONS);
  });

  it('a protocols array changed in place since last time is read again', () => {
    const protocols = ['chat'];
    expect(connectionSettings({ protocols }).driver.protocols).toEqual(['chat']);
    protocols.push('superchat');
    expect(connectionSettings({ protocols }).driver.protocols).toEqual(['chat', 'superchat']);
  });

  it('a bad value throws, whatever came before, and is not remembered', () => {
    connectionSettings({ maxLength: 10 });
    expect(() => connectionSettings({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, fragmentSize: 0 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, pingInterval: -1 })).toThrow(RangeError);
    expect(() => connectionSettings({ maxLength: 10, nonsense: 1 } as object)).toThrow(TypeError);
    expect(connectionSettings({ maxLength: 10 }).driver.maxLength).toBe(10);
  });
});

describe('common header values', () => {
  it('are replaced by equal strings, every other value kept as it was', () => {
    const message = {
      method: 'GET',
      url: '/chat',
      httpVersion: '1.1',
      headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'k', host: 'h' },
    };
    const request = withCommonValues(normalizeRequest(message));
    expect(request.httpVersion).toBe('1.1');
    expect({ ...request.headers }).toEqual(message.headers);
    expect(request.target).toBe('/chat');
  });
});

describe('readUpgradeRequest (one pass over a Node request)', () => {
  /** node:http's own request object, as an `upgrade` event gives it. */
  function nodeRequest(init: { method?: string; url?: string; httpVersion?: string; headers: Record<string, string | string[] | undefined>; encrypted?: boolean }): IncomingMessage {
    const message = new IncomingMessage(Object.assign(new net.Socket(), init.encrypted === true ? { encrypted: true } : {}));
    if (init.method !== undefined) message.method = init.method;
    if (init.url !== undefined) message.url = init.url;
    if (init.httpVersion !== undefined) message.httpVersion = init.httpVersion;
    message.headers = init.headers as IncomingMessage['headers'];
    return message;
  }
  const requests = [
    { method: 'GET', url: '/chat?room=1', httpVersion: '1.1', headers: { upgrade: 'websocket', connection: 'Upgrade', host: 'h', 'x-many': ['a', 'b'], 'x-none': undefined } },
    { method: 'GET', url: '/secure', httpVersion: '1.0', headers: { host: 'h', 'sec-websocket-version': '13', 'user-agent': 'a value longer than any common one' }, encrypted: true },
    // Not in origin form: read the general way (the host taken from the URL).
    { method: 'GET', url: 'http://example.com:8080/x?y', httpVersion: '1.1', headers: { host: 'h' } },
    { method: 'GET', url: '*', headers: {} },
    // A header an application added in another case before handing the request on: read the general way, joined with the lower-case one.
    { method: 'GET', url: '/chat', httpVersion: '1.1', headers: { host: 'h', 'sec-websocket-protocol': 'a', 'Sec-WebSocket-Protocol': 'chat' } },
  ];
  it.each(requests.map((init, i) => [i, init] as const))('reads node:http request %i as withCommonValues(normalizeRequest()) does', (_, init) => {
    const expected = withCommonValues(normalizeRequest(nodeRequest(structuredClone(init))));
    const read = readUpgradeRequest(nodeRequest(init));
    expect({ ...read, headers: { ...read.headers } }).toEqual({ ...expected, headers: { ...expected.headers } });
    expect(read.scheme).toBe(init.encrypted === true ? 'https' : 'http');
    expect(Object.getPrototypeOf(Object.getPrototypeOf(read.headers))).toBeNull();
  });

  it('reads a request-like object that is not node:http\'s the general way (names lower-cased, defaults filled in)', () => {
    const message = { url: '/', headers: { Host: 'h', 'Sec-WebSocket-Version': '13' } };
    const read = readUpgradeRequest(message as never);
    expect({ ...read, headers: { ...read.headers } }).toEqual({ method: 'GET', target: '/', httpVersion: null, headers: { host: 'h', 'sec-websocket-version': '13' }, scheme: 'http' });
  });
});

describe('readUpgradeRequest of a request whose headers nobody has read (from rawHeaders)', () => {
  // Every name node:http keeps the first of, twice in other cases (but Content-Length, which its parser takes once), and the ones it joins.
  const FIRST_ONLY = ['age', 'authorization', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent'];
  const head = [
    'GET /chat HTTP/1.1',
    ...FIRST_ONLY.flatMap((name) => [`${name.toUpperCase()}: first-${name}`, `${name}: second-${name}`]),
    'Content-Length: 0',
    'Upgrade: websocket',
    'Connection: keep-alive, Upgrade',
    'Cookie: a=1',
    'cookie: b=2',
    'Set-Cookie: s=1',
    'Set-Cookie: t=2',
    'X-Many: 1',
    'x-many: 2',
    'X-Many: 3',
    'Sec-WebSocket-Version: 13',
    'constructor: c',
    '',
    '',
  ].join('\r\n');

  /** The request an `upgrade` event of a real node:http server hands over, as `onUpgrade` reads it. */
  async function upgradeRead<T>(joinDuplicateHeaders: boolean, onUpgrade: (message: IncomingMessage) => T, request = head, maxHeadersCount?: number): Promise<T> {
    const server = http.createServer({ joinDuplicateHeaders });
    if (maxHeadersCount !== undefined) server.maxHeadersCount = maxHeadersCount;
    try {
      const result = new Promise<T>((resolve, reject) => {
        server.on('upgrade', (message: IncomingMessage, socket: net.Socket) => {
          socket.destroy();
          try {
            resolve(onUpgrade(message));
          } catch (error) {
            reject(error);
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => client.write(request));
      client.on('error', () => {});
      return await result;
    } finally {
      server.close();
    }
  }

  it.each([false, true])('holds what node:http\'s own headers hold (joinDuplicateHeaders %s), without making them', async (joinDuplicateHeaders) => {
    const { read, builtBefore, expected } = await upgradeRead(joinDuplicateHeaders, (message) => {
      const built = Object.getOwnPropertySymbols(message).find((symbol) => symbol.description === 'kHeaders')!;
      const read = readUpgradeRequest(message);
      // node:http builds `headers` when they are first read: not yet.
      const builtBefore = (message as unknown as Record<symbol, unknown>)[built];
      return { read, builtBefore, expected: withCommonValues(normalizeRequest(message)) };
    });
    expect(builtBefore).toBeNull();
    expect({ ...read, headers: { ...read.headers } }).toEqual({ ...expected, headers: { ...expected.headers } });
    // Spot checks, so the comparison is not with a reading that went wrong the same way.
    expect(read.headers.host).toBe(joinDuplicateHeaders ? 'first-host, second-host' : 'first-host');
    expect(read.headers.cookie).toBe('a=1; b=2');
    expect(read.headers['set-cookie']).toBe('s=1, t=2');
    expect(read.headers['x-many']).toBe('1, 2, 3');
    expect(read.headers.constructor).toBe('c');
    expect(read.headers.upgrade).toBe('websocket');
  });

  // node:http takes only the first `maxHeadersCount` fields into `headers`
  // (1,000 by default); `rawHeaders` holds them all. A field it dropped must
  // not reach the handshake (a protocol or an origin nobody else sees).
  const start = 'GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  it.each([
    ['server.maxHeadersCount 4', `${start}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: admin\r\n\r\n`, 4],
    ['the default limit, after 1,000 other fields', `${start}${Array.from({ length: 1000 }, (_, i) => `x${i}: 1\r\n`).join('')}Sec-WebSocket-Protocol: admin\r\n\r\n`, undefined],
  ])('reads no field past node:http\'s header limit (%s)', async (_name, request, limit) => {
    const { read, expected } = await upgradeRead(false, (message) => ({ read: readUpgradeRequest(message), expected: normalizeRequest(message) }), request, limit);
    expect(expected.headers['sec-websocket-protocol']).toBeUndefined();
    expect(read.headers['sec-websocket-protocol']).toBeUndefined();
    expect(Object.keys(read.headers).sort()).toEqual(Object.keys(expected.headers).sort());
  });

  it('reads the headers an application changed before handing the request on, not the raw ones', async () => {
    const read = await upgradeRead(false, (message) => {
      message.headers['sec-websocket-protocol'] = 'chat';
      return readUpgradeRequest(message);
    });
    expect(read.headers['sec-websocket-protocol']).toBe('chat');
    expect(read.headers['x-many']).toBe('1, 2, 3');
  });
});

describe('strings shared between requests', () => {
  it('keep no request target with a query (it may carry a credential) once its request is gone: searched for in a heap snapshot', () => {
    // In a child process, so that the snapshot is small and only this request was ever made.
    const script = `
      import { getHeapSnapshot } from 'node:v8';
      import http, { IncomingMessage } from 'node:http';
      import { Socket } from 'node:net';
      const { withCommonValues, readUpgradeRequest } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/esm/adapters/node/shared-state.js')).href)});
      const { normalizeRequest } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/esm/http/request.js')).href)});
      const nonce = Date.now();
      // In a function, so that no module binding holds the last URL.
      (() => {
        for (const url of ['/plain' + nonce, '/ws?token=S3cr3t' + nonce]) {
          withCommonValues(normalizeRequest({ method: 'GET', url, httpVersion: '1.1', headers: { host: 'h' } }));
          const message = new IncomingMessage(new Socket());
          Object.assign(message, { method: 'GET', url: url + '!', httpVersion: '1.1', headers: { host: 'h' } });
          readUpgradeRequest(message);
        }
      })();
      // V8 keeps the last regular expression's input (RegExp.input): not ours.
      /x/.test('y');
      globalThis.gc();
      let text = '';
      for await (const chunk of getHeapSnapshot()) text += chunk;
      console.log(JSON.stringify({ plain: text.includes('/plain' + nonce), query: text.includes('S3cr3t' + nonce), plainRead: text.includes('/plain' + nonce + '!'), queryRead: text.includes('S3cr3t' + nonce + '!') }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    // The path without a query is kept (the probe can see a kept target); the one with a query is not.
    expect(JSON.parse(out)).toEqual({ plain: true, query: false, plainRead: true, queryRead: false });
  });
});
