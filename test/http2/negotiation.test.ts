/**
 * The RFC 8441 handshake of the framing drivers: the server's respond()
 * to an extended CONNECT, the client's requestHeaders() and
 * acceptResponse(), and that both end with the same negotiated state as
 * an HTTP/1.1 connection.
 */
import { describe, expect, it } from 'vitest';
import { CloseCode, framingDriver, isExtendedConnect, type Extension } from '../../lib/index.js';
import { perMessageDeflate } from '../../lib/adapters/node/index.js';
import { decodeFrames, Op, Pair, readClosePayload } from '../helpers/index.js';
import { GatedExtension } from '../extensions/fixtures.js';
import { connectRequest, FramingPair, framingClient, framingServer, URL_WS } from './support.js';

describe('framingDriver', () => {
  it('makes a server or a client driver speaking hybi-13', () => {
    const server = framingServer().driver;
    const client = framingClient().driver;
    expect([server.role, server.version, server.readyState]).toEqual(['server', 'hybi-13', 0]);
    expect([client.role, client.version, client.readyState]).toEqual(['client', 'hybi-13', 0]);
  });

  it('throws on an unknown role, an unknown option or a socket without write()', () => {
    const socket = { write: () => {} };
    expect(() => framingDriver(socket, 'peer' as 'server')).toThrow(TypeError);
    expect(() => framingDriver(socket, 'server', { role: 'client' } as never)).toThrow(/unknown option 'role'/);
    expect(() => framingDriver({} as never, 'client')).toThrow(TypeError);
  });

  it('throws on a client URL that is not ws: or wss:', () => {
    expect(() => framingDriver({ url: 'ftp://example.com/', write: () => {} }, 'client')).toThrow(TypeError);
  });
});

describe('isExtendedConnect', () => {
  it('is true for :method CONNECT with :protocol websocket, in any case', () => {
    expect(isExtendedConnect(connectRequest())).toBe(true);
    expect(isExtendedConnect(connectRequest({ ':protocol': 'WebSocket' }))).toBe(true);
  });

  it('is false for other requests', () => {
    expect(isExtendedConnect(connectRequest({ ':method': 'GET' }))).toBe(false);
    expect(isExtendedConnect(connectRequest({ ':protocol': undefined }))).toBe(false);
    expect(isExtendedConnect(connectRequest({ ':protocol': 'connect-udp' }))).toBe(false);
    expect(isExtendedConnect(null as never)).toBe(false);
  });
});

describe('server: respond() to an extended CONNECT', () => {
  describe('a valid request', () => {
    it('is answered 200 with no headers to add, and opens on start() without writing anything', () => {
      const { driver, rec } = framingServer();
      const response = driver.respond(connectRequest());
      expect(response).toEqual({ status: 200, headers: {}, error: null });
      expect(driver.readyState).toBe(0);
      expect(driver.start()).toBe(true);
      expect(rec.types).toEqual(['open']);
      expect(rec.written.length).toBe(0);
    });

    it('exposes the request as headers, url and a Rack env', () => {
      const { driver } = framingServer();
      driver.respond(connectRequest({ ':scheme': 'https', ':path': '/chat?room=1', ':authority': 'example.com:8443' }));
      expect(driver.headers[':method']).toBe('CONNECT');
      expect(driver.headers['origin']).toBe('http://example.com');
      expect(driver.url).toBe('wss://example.com:8443/chat?room=1');
      expect(driver.env).toMatchObject({
        REQUEST_METHOD: 'CONNECT',
        PATH_INFO: '/chat',
        QUERY_STRING: 'room=1',
        SERVER_NAME: 'example.com',
        SERVER_PORT: '8443',
        SERVER_PROTOCOL: 'HTTP/2',
        HTTP_ORIGIN: 'http://example.com',
        'rack.url_scheme': 'https',
      });
      expect(Object.keys(driver.env!).some((key) => key.includes(':'))).toBe(false);
    });

    it('keeps socket.url as the url when one is given', () => {
      const driver = framingDriver({ url: 'wss://front.example/ws', write: () => {} }, 'server');
      driver.respond(connectRequest());
      expect(driver.url).toBe('wss://front.example/ws');
    });

    it('reads header names in any case and ignores Sec-WebSocket-Key (RFC 8441 §5)', () => {
      const { driver } = framingServer();
      const response = driver.respond(connectRequest({ 'sec-websocket-version': undefined, 'Sec-WebSocket-Version': '13', 'sec-websocket-key': 'not base64' }));
      expect(response.status).toBe(200);
      expect(response.headers).not.toHaveProperty('sec-websocket-accept');
    });
  });

  describe('subprotocols', () => {
    it("picks the first of the client's offers that the server speaks", () => {
      const { driver, rec } = framingServer({ protocols: ['b', 'a'] });
      const response = driver.respond(connectRequest({ 'sec-websocket-protocol': 'c, a, b' }));
      expect(response.headers['sec-websocket-protocol']).toBe('a');
      driver.start();
      expect(rec.types).toEqual(['open']);
      expect(driver.protocol).toBe('a');
    });

    it('reads an offer repeated over several fields', () => {
      const { driver } = framingServer({ protocols: ['b'] });
      expect(driver.respond(connectRequest({ 'sec-websocket-protocol': ['a', 'b'] })).headers['sec-websocket-protocol']).toBe('b');
    });

    it('answers without sec-websocket-protocol when no offer is spoken', () => {
      const { driver } = framingServer({ protocols: ['x'] });
      const response = driver.respond(connectRequest({ 'sec-websocket-protocol': 'a, b' }));
      expect(response.headers).toEqual({});
      expect(driver.protocol).toBeNull();
    });
  });

  describe('extensions', () => {
    it('accepts an offered extension and answers with its parameters', () => {
      const { driver } = framingServer();
      driver.addExtension(new GatedExtension('x-xor', true));
      const response = driver.respond(connectRequest({ 'sec-websocket-extensions': 'x-xor; mode=xor' }));
      expect(response.headers['sec-websocket-extensions']).toBe('x-xor; mode=xor');
      driver.start();
      expect(driver.extensions).toEqual([{ name: 'x-xor', params: { mode: 'xor' } }]);
    });

    it('refuses addExtension() once respond() has run', () => {
      const { driver } = framingServer();
      driver.respond(connectRequest());
      expect(() => driver.addExtension(new GatedExtension())).toThrow(/before the handshake headers/);
    });

    it('answers 500 when an extension fails while negotiating', () => {
      const failing: Extension = {
        name: 'x-fail',
        type: 'permessage',
        rsv1: true,
        rsv2: false,
        rsv3: false,
        createClientSession: () => null,
        createServerSession: () => {
          throw new Error('out of sessions');
        },
      };
      const { driver, rec } = framingServer();
      driver.addExtension(failing);
      const response = driver.respond(connectRequest({ 'sec-websocket-extensions': 'x-fail' }));
      expect(response.status).toBe(500);
      expect(rec.of('error')[0]).toMatchObject({ code: 'EXTENSION_ERROR', closeCode: CloseCode.INTERNAL_ERROR });
    });
  });

  describe('headers set by the application', () => {
    it('are answered after the negotiated ones, with lower-case names', () => {
      const { driver } = framingServer({ protocols: ['chat'] });
      driver.setHeader('X-Served-By', 'node-7');
      const response = driver.respond(connectRequest({ 'sec-websocket-protocol': 'chat' }));
      expect(Object.entries(response.headers)).toEqual([
        ['sec-websocket-protocol', 'chat'],
        ['x-served-by', 'node-7'],
      ]);
    });

    it.each(['Connection', 'upgrade', 'keep-alive', 'transfer-encoding', 'proxy-connection'])('may not be the connection-specific %s', (name) => {
      expect(() => framingServer().driver.setHeader(name, 'x')).toThrow(TypeError);
    });

    it('may not be set once respond() has run', () => {
      const { driver } = framingServer();
      driver.respond(connectRequest());
      expect(() => driver.setHeader('x-late', '1')).toThrow(/before the handshake headers/);
    });
  });

  describe('a refused request', () => {
    const cases: Array<{ name: string; overrides: Record<string, string | string[] | undefined>; status: number; code: string }> = [
      { name: 'a method other than CONNECT', overrides: { ':method': 'GET' }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'a plain CONNECT (no :protocol)', overrides: { ':protocol': undefined }, status: 501, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'a :protocol other than websocket', overrides: { ':protocol': 'connect-udp' }, status: 501, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'no :path', overrides: { ':path': undefined }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'no :scheme', overrides: { ':scheme': undefined }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'a :path that is not absolute', overrides: { ':path': 'chat' }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'no :authority', overrides: { ':authority': undefined }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'a :path given twice', overrides: { ':path': ['/a', '/b'] }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'an upgrade header', overrides: { upgrade: 'websocket' }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'a connection header', overrides: { connection: 'upgrade' }, status: 400, code: 'HANDSHAKE_BAD_REQUEST' },
      { name: 'no sec-websocket-version', overrides: { 'sec-websocket-version': undefined }, status: 400, code: 'HANDSHAKE_UNSUPPORTED_VERSION' },
      { name: 'sec-websocket-version 8', overrides: { 'sec-websocket-version': '8' }, status: 400, code: 'HANDSHAKE_UNSUPPORTED_VERSION' },
      { name: 'a malformed extension offer', overrides: { 'sec-websocket-extensions': 'x-xor; ;' }, status: 400, code: 'HANDSHAKE_BAD_EXTENSION' },
    ];

    it.each(cases)('$name: answered $status, error and close emitted, nothing written, start() a no-op', ({ overrides, status, code }) => {
      const { driver, rec } = framingServer();
      driver.addExtension(new GatedExtension('x-xor', true));
      const response = driver.respond(connectRequest(overrides));
      expect(response.status).toBe(status);
      expect(response.error?.code).toBe(code);
      expect(rec.types).toEqual(['error', 'close']);
      expect(rec.of('error')[0]!.code).toBe(code);
      expect(rec.of('close')[0]).toMatchObject({ code: CloseCode.PROTOCOL_ERROR, wasClean: false });
      expect(driver.start()).toBe(false);
      expect(rec.written.length).toBe(0);
      expect(driver.readyState).toBe(3);
    });

    it('tells the client the version it speaks (RFC 6455 §4.4)', () => {
      const response = framingServer().driver.respond(connectRequest({ 'sec-websocket-version': '8' }));
      expect(response.headers).toEqual({ 'sec-websocket-version': '13' });
    });

    it('answers 431 to more header fields than maxHeaders', () => {
      const { driver, rec } = framingServer({ maxHeaders: 5 });
      const response = driver.respond(connectRequest());
      expect(response.status).toBe(431);
      expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_TOO_MANY_HEADERS', closeCode: CloseCode.TOO_LARGE });
    });

    it('answers 431 to header fields larger than maxHeadSize', () => {
      const { driver, rec } = framingServer({ maxHeadSize: 256 });
      const response = driver.respond(connectRequest({ cookie: 'x'.repeat(300) }));
      expect(response.status).toBe(431);
      expect(rec.of('error')[0]!.code).toBe('HTTP_HEAD_TOO_LARGE');
    });
  });

  it('may be called once, and only before start()', () => {
    const once = framingServer().driver;
    once.respond(connectRequest());
    expect(() => once.respond(connectRequest())).toThrow(/once/);
    const started = framingServer().driver;
    started.start();
    expect(() => started.respond(connectRequest())).toThrow(/before start/);
  });
});

describe('client: requestHeaders()', () => {
  it('is the extended CONNECT for a ws: URL (RFC 8441 §5)', () => {
    expect(framingClient().driver.requestHeaders()).toEqual({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': '/chat?room=1',
      ':authority': 'example.com',
      'sec-websocket-version': '13',
    });
  });

  it('uses :scheme https for wss:, and keeps a port that is not the default', () => {
    const headers = framingClient({}, 'wss://example.com:8443/').driver.requestHeaders();
    expect([headers[':scheme'], headers[':authority'], headers[':path']]).toEqual(['https', 'example.com:8443', '/']);
    expect(framingClient({}, 'wss://example.com:443/x').driver.requestHeaders()[':authority']).toBe('example.com');
  });

  it('offers the subprotocols and the extensions', () => {
    const { driver } = framingClient({ protocols: ['chat', 'superchat'] });
    driver.addExtension(new GatedExtension());
    const headers = driver.requestHeaders();
    expect(headers['sec-websocket-protocol']).toBe('chat, superchat');
    expect(headers['sec-websocket-extensions']).toBe('x-xor; mode=xor');
  });

  it("sends the URL's user info as Basic credentials", () => {
    const headers = framingClient({}, 'wss://ann:s%C3%A9same@example.com/').driver.requestHeaders();
    expect(headers['authorization']).toBe(`Basic ${btoa('ann:s\u00c3\u00a9same')}`);
  });

  it('adds the headers set with setHeader(), lower-cased, a host becoming :authority', () => {
    const { driver } = framingClient();
    driver.setHeader('Origin', 'https://app.example');
    driver.setHeader('Host', 'front.example');
    const headers = driver.requestHeaders();
    expect(headers['origin']).toBe('https://app.example');
    expect(headers[':authority']).toBe('front.example');
    expect(headers).not.toHaveProperty('host');
  });

  it('throws without socket.url, when called twice, and after start()', () => {
    expect(() => framingClient({}, null).driver.requestHeaders()).toThrow(/socket\.url/);
    const twice = framingClient().driver;
    twice.requestHeaders();
    expect(() => twice.requestHeaders()).toThrow(/once/);
    const started = framingClient().driver;
    started.start();
    expect(() => started.requestHeaders()).toThrow(/before start/);
  });
});

describe('client: acceptResponse()', () => {
  function sent(options = {}) {
    const setup = framingClient(options);
    setup.driver.requestHeaders();
    return setup;
  }

  describe('a 2xx response', () => {
    it.each([200, '200', 204])('(:status %s) opens the connection', (status) => {
      const { driver, rec } = sent();
      expect(driver.acceptResponse({ ':status': status, server: 'test' })).toBe(true);
      expect(rec.types).toEqual(['open']);
      expect(driver.statusCode).toBe(Number(status));
      expect(driver.headers['server']).toBe('test');
    });

    it('takes the subprotocol the server chose', () => {
      const { driver } = sent({ protocols: ['chat', 'superchat'] });
      driver.acceptResponse({ ':status': 200, 'sec-websocket-protocol': 'superchat' });
      expect(driver.protocol).toBe('superchat');
    });

    it('sends the messages queued before it', () => {
      const { driver, rec } = sent();
      driver.text('early');
      expect(rec.written.length).toBe(0);
      driver.acceptResponse({ ':status': 200 });
      const [frame] = decodeFrames(rec.take());
      expect([frame!.opcode, frame!.masked, new TextDecoder().decode(frame!.payload)]).toEqual([Op.TEXT, true, 'early']);
    });
  });

  describe('an unacceptable response', () => {
    it.each([403, 101, undefined])('(:status %s) fails with HANDSHAKE_UNEXPECTED_STATUS', (status) => {
      const { driver, rec } = sent();
      driver.text('never sent');
      expect(driver.acceptResponse(status === undefined ? {} : { ':status': status })).toBe(false);
      expect(rec.of('error')[0]!.code).toBe('HANDSHAKE_UNEXPECTED_STATUS');
      expect(rec.of('close')[0]).toMatchObject({ code: CloseCode.PROTOCOL_ERROR, wasClean: false });
      expect(rec.written.length).toBe(0);
      expect(driver.statusCode).toBe(status === undefined ? null : status);
    });

    it.each(['other', 'chat, superchat'])('fails on the subprotocol %j, which was not offered as one', (chosen) => {
      const { driver, rec } = sent({ protocols: ['chat', 'superchat'] });
      driver.acceptResponse({ ':status': 200, 'sec-websocket-protocol': chosen });
      expect(rec.of('error')[0]!.code).toBe('HANDSHAKE_BAD_PROTOCOL');
    });

    it('fails on an extension that was not offered, telling the server with a close frame 1010', () => {
      const { driver, rec } = sent();
      driver.acceptResponse({ ':status': 200, 'sec-websocket-extensions': 'x-other' });
      expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_EXTENSION', closeCode: CloseCode.EXTENSION_REQUIRED });
      const [close] = decodeFrames(rec.take());
      expect(close!.opcode).toBe(Op.CLOSE);
      expect(close!.masked).toBe(true);
      expect(readClosePayload(close!.payload).code).toBe(CloseCode.EXTENSION_REQUIRED);
    });
  });

  it('throws before requestHeaders() and when called twice; start() throws while it is awaited', () => {
    expect(() => framingClient().driver.acceptResponse({ ':status': 200 })).toThrow(/requestHeaders/);
    const { driver } = sent();
    expect(() => driver.start()).toThrow(/acceptResponse/);
    driver.acceptResponse({ ':status': 200 });
    expect(() => driver.acceptResponse({ ':status': 200 })).toThrow(/requestHeaders/);
  });

  it('abortHandshake() fails a connecting client with HANDSHAKE_REJECTED, and is a no-op once open', () => {
    const { driver, rec } = sent();
    expect(driver.abortHandshake('no extended CONNECT')).toBe(true);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_REJECTED' });
    expect(rec.of('error')[0]!.message).toMatch(/no extended CONNECT/);
    expect(rec.of('close')[0]!.wasClean).toBe(false);
    const open = sent().driver;
    open.acceptResponse({ ':status': 200 });
    expect(open.abortHandshake('late')).toBe(false);
    expect(open.readyState).toBe(1);
  });
});

describe('negotiated state, compared with an HTTP/1.1 connection', () => {
  it('is the same subprotocol and permessage-deflate parameters on both ends', () => {
    const clientOptions = { protocols: ['a', 'b'] };
    const serverOptions = { protocols: ['b'] };
    const deflate = () => perMessageDeflate({ requestMaxWindowBits: 10, noContextTakeover: true });

    const h1 = new Pair({ client: clientOptions, server: serverOptions, autoStart: false });
    h1.client.addExtension(deflate());
    h1.server.on('connect', () => {
      h1.server.addExtension(perMessageDeflate());
      h1.server.start();
    });
    h1.connect();

    const h2 = new FramingPair({ client: clientOptions, server: serverOptions, clientExtensions: [deflate()], serverExtensions: [perMessageDeflate()] });
    h2.connect();

    expect(h2.client.protocol).toBe('b');
    expect(h2.client.extensions).toEqual(h1.client.extensions);
    expect(h2.server.extensions).toEqual(h1.server.extensions);
    expect([h2.server.protocol, h2.client.protocol]).toEqual([h1.server.protocol, h1.client.protocol]);
    expect(h2.client.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
    expect(h2.response!.headers['sec-websocket-extensions']).toBe(h1.client.headers['sec-websocket-extensions']);
  });

  it('runs messages through the negotiated extension, with RSV1 on the wire', () => {
    const pair = new FramingPair({ clientExtensions: [new GatedExtension('x-xor', true)], serverExtensions: [new GatedExtension('x-xor', true)] }).connect();
    pair.clientRec.take();
    pair.client.text('through the extension');
    const [frame] = decodeFrames(pair.clientRec.take());
    expect(frame!.rsv).toBe(0x40);
    pair.flush();
    expect(pair.serverRec.messages).toEqual(['through the extension']);
  });

  it('opens with no subprotocol and no extensions when the request offered none', () => {
    const pair = new FramingPair({ server: { protocols: ['chat'] }, serverExtensions: [new GatedExtension('x-xor', true)] }).connect();
    expect(pair.response!.headers).toEqual({});
    expect([pair.client.protocol, pair.server.protocol, pair.server.extensions.length]).toEqual([null, null, 0]);
    expect(pair.server.url).toBe(URL_WS);
  });
});
