// RFC 6455 §4.2: the server's side of the opening handshake, through
// Driver.server (which parses the request head itself) and Driver.rack.
import { describe, expect, it } from 'vitest';
import { Driver, type DriverOptions } from '../../lib/index.js';
import { hasToken } from '../../lib/http/tokens.js';
import {
  acceptFor,
  BASIC_CHUNKINGS,
  clientFrame,
  concat,
  decodeFrames,
  feed,
  latin1Bytes,
  Op,
  parseHead,
  Recorder,
  requestHead,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  type Chunking,
  type RequestSpec,
} from '../helpers/index.js';

/** Feeds a request to Driver.server, starts it on connect, and reads the response. */
function serve(spec: RequestSpec, options?: DriverOptions, chunking: Chunking = 'whole') {
  const rec = new Recorder();
  const driver = rec.attach(Driver.server(rec.socket, options));
  driver.on('connect', () => driver.start());
  feed(driver, requestHead(spec), chunking);
  const written = rec.written;
  return { driver, rec, head: written.length > 0 ? parseHead(written) : null };
}

describe.each(BASIC_CHUNKINGS)('server opening handshake, request fed %s', (chunking) => {
  describe('a valid request', () => {
    it('is answered 101 with Upgrade, Connection and the §4.2.2 accept key, and opens', () => {
      const { driver, rec, head } = serve({}, undefined, chunking);
      expect(head!.startLine).toBe('HTTP/1.1 101 Switching Protocols');
      expect(head!.headers['upgrade']!.toLowerCase()).toBe('websocket');
      expect(head!.headers['connection']!.toLowerCase()).toBe('upgrade');
      expect(head!.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
      expect(head!.headers['sec-websocket-protocol']).toBeUndefined();
      expect(head!.rest.length).toBe(0);
      expect(rec.types).toEqual(['connect', 'open']);
      expect(driver.readyState).toBe(1);
      expect(driver.version).toBe('hybi-13');
    });

    it('answers each fresh key with its own accept value', () => {
      const key = Buffer.from('0123456789abcdef').toString('base64');
      const { head } = serve({ key }, undefined, chunking);
      expect(head!.headers['sec-websocket-accept']).toBe(acceptFor(key));
    });

    it.each([
      ['Connection with extra tokens', { headers: { Connection: 'keep-alive, Upgrade' } }],
      ['Connection in upper case', { headers: { Connection: 'UPGRADE' } }],
      ['Connection with odd spacing and empty items', { headers: { Connection: ' , keep-alive ,\tupgrade , ' } }],
      ['Connection sent twice', { headers: { Connection: 'keep-alive\r\nConnection: Upgrade' } }],
      ['Upgrade in mixed case', { headers: { Upgrade: 'WebSocket' } }],
      ['Upgrade with another protocol first', { headers: { Upgrade: 'h2c, websocket' } }],
      ['HTTP/1.2', { httpVersion: '1.2' }],
      ['a Host with a port', { host: 'example.com:8080' }],
    ] as const)('accepts %s', (_name, spec: RequestSpec) => {
      const { driver, head } = serve(spec, undefined, chunking);
      expect(head!.status).toBe(101);
      expect(driver.readyState).toBe(1);
    });
  });

  describe('an invalid request', () => {
    it.each([
      ['method POST', { method: 'POST' }],
      ['method get (methods are case-sensitive)', { method: 'get' }],
      ['HTTP/1.0', { httpVersion: '1.0' }],
      ['no Host', { host: null }],
      ['no Upgrade', { headers: { Upgrade: null } }],
      ['Upgrade: h2c', { headers: { Upgrade: 'h2c' } }],
      ['Upgrade: websockets', { headers: { Upgrade: 'websockets' } }],
      ['no Connection', { headers: { Connection: null } }],
      ['Connection: keep-alive', { headers: { Connection: 'keep-alive' } }],
      ['Connection: upgraded (a token is not a prefix)', { headers: { Connection: 'upgraded' } }],
      ['Connection: "upgrade" quoted', { headers: { Connection: '"upgrade"' } }],
      ['no key', { key: null }],
      ['an empty key', { key: '' }],
      ['a key of 15 bytes', { key: Buffer.alloc(15, 1).toString('base64') }],
      ['a key of 17 bytes', { key: Buffer.alloc(17, 1).toString('base64') }],
      ['a key with a non-base64 character', { key: 'dGhlIHNhbXBsZSBub25jZ*==' }],
      ['a key whose padding bits are not zero', { key: 'dGhlIHNhbXBsZSBub25jZR==' }],
      ['a key without padding', { key: 'dGhlIHNhbXBsZSBub25jZQ' }],
    ] as const)('with %s is answered 400, reported as an error, and closed', (_name, spec: RequestSpec) => {
      const { driver, rec, head } = serve(spec, undefined, chunking);
      expect(head!.status).toBe(400);
      expect(head!.headers['connection']).toBe('close');
      expect(Number(head!.headers['content-length'])).toBe(head!.rest.length);
      expect(rec.types).toEqual(['connect', 'error', 'close']);
      expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_REQUEST', closeCode: 1002 });
      expect(rec.of('error')[0]!.message.length).toBeGreaterThan(10);
      expect(rec.of('close')[0]).toMatchObject({ wasClean: false });
      expect(driver.readyState).toBe(3);
      // Nothing but the rejection is ever written, even if frames follow.
      const before = rec.written.length;
      feed(driver, clientFrame(Op.TEXT, 'late'), chunking);
      expect(rec.written.length).toBe(before);
      expect(rec.of('message')).toEqual([]);
    });
  });

  describe('Sec-WebSocket-Version', () => {
    it.each([
      ['13', 'hybi-13'],
      ['8', 'hybi-8'],
      ['7', 'hybi-7'],
    ])('%s is accepted as %s', (version, name) => {
      const { driver, head } = serve({ version }, undefined, chunking);
      expect(head!.status).toBe(101);
      expect(driver.version).toBe(name);
    });

    it.each(['12', '14', '6', '0', 'abc', '13, 8'])('%s is answered 426 with the versions spoken', (version) => {
      const { driver, rec, head } = serve({ version }, undefined, chunking);
      expect(head!.status).toBe(426);
      const offered = head!.headers['sec-websocket-version']!.split(',').map((v) => v.trim());
      expect(offered).toContain('13');
      expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_UNSUPPORTED_VERSION' });
      expect(driver.readyState).toBe(3);
    });

    it('a missing version is refused', () => {
      const { head, driver } = serve({ version: null }, undefined, chunking);
      expect([400, 426]).toContain(head!.status);
      expect(driver.readyState).toBe(3);
    });
  });

  describe('subprotocol selection (§4.2.2 /subprotocol/)', () => {
    it("picks the first of the client's offers that the server supports", () => {
      const { driver, head } = serve({ protocols: ['chat', 'superchat', 'json'] }, { protocols: ['json', 'superchat'] }, chunking);
      expect(head!.headers['sec-websocket-protocol']).toBe('superchat');
      expect(driver.protocol).toBe('superchat');
    });

    it('reads offers spread over several header lines', () => {
      const { driver } = serve(
        { protocols: ['a'], headers: { 'Sec-WebSocket-Protocol': 'a\r\nSec-WebSocket-Protocol: b' } },
        { protocols: ['b'] },
        chunking,
      );
      expect(driver.protocol).toBe('b');
    });

    it('sends no Sec-WebSocket-Protocol when no offer is supported', () => {
      const { driver, head } = serve({ protocols: ['x', 'y'] }, { protocols: ['json'] }, chunking);
      expect(head!.status).toBe(101);
      expect(head!.headers['sec-websocket-protocol']).toBeUndefined();
      expect(driver.protocol).toBeNull();
    });

    it('sends none when the client offered none', () => {
      const { driver, head } = serve({}, { protocols: ['json'] }, chunking);
      expect(head!.headers['sec-websocket-protocol']).toBeUndefined();
      expect(driver.protocol).toBeNull();
    });

    it('compares protocol names case-sensitively', () => {
      const { driver } = serve({ protocols: ['JSON'] }, { protocols: ['json'] }, chunking);
      expect(driver.protocol).toBeNull();
    });
  });
});

describe.each(BASIC_CHUNKINGS)('Driver.server request parsing, fed %s', (chunking) => {
  it('emits connect once the head is in, with env, url and headers, and waits for start()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.env).toBeNull();
    expect(driver.url).toBeNull();
    feed(driver, requestHead({ target: '/chat/room?user=ann&x=%20', host: 'example.com:8080', headers: { 'X-Custom': 'v1' } }), chunking);
    expect(rec.types).toEqual(['connect']);
    expect(driver.readyState).toBe(0);
    expect(rec.written.length).toBe(0);
    const env = driver.env!;
    expect(env.REQUEST_METHOD).toBe('GET');
    expect(env['PATH_INFO']).toBe('/chat/room');
    expect(env['QUERY_STRING']).toBe('user=ann&x=%20');
    expect(env['HTTP_HOST']).toBe('example.com:8080');
    expect(env['HTTP_X_CUSTOM']).toBe('v1');
    expect(env['HTTP_SEC_WEBSOCKET_KEY']).toBe(SAMPLE_KEY);
    expect(env['HTTP_UPGRADE']).toBe('websocket');
    expect(driver.url).toBe('ws://example.com:8080/chat/room?user=ann&x=%20');
    expect(driver.headers!['x-custom']).toBe('v1');
    expect(driver.headers!['sec-websocket-version']).toBe('13');
    expect(driver.start()).toBe(true);
    expect(parseHead(rec.written).status).toBe(101);
    expect(rec.types).toEqual(['connect', 'open']);
  });

  it('keeps frames that arrive after the head in the same chunk, and delivers them after start()', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    const frames = concat(clientFrame(Op.TEXT, 'first'), clientFrame(Op.BINARY, Uint8Array.of(1, 2)));
    feed(driver, concat(requestHead(), frames), chunking);
    expect(rec.types).toEqual(['connect']);
    driver.start();
    expect(rec.types).toEqual(['connect', 'open', 'message', 'message']);
    expect(rec.messages).toEqual(['first', Uint8Array.of(1, 2)]);
  });

  it('keeps a close frame that arrives with the head, and answers it after the 101', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    feed(driver, concat(requestHead(), clientFrame(Op.CLOSE, Uint8Array.of(0x03, 0xe8))), chunking);
    driver.start();
    const head = parseHead(rec.written);
    expect(head.status).toBe(101);
    expect(decodeFrames(head.rest).map((f) => f.opcode)).toEqual([Op.CLOSE]);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1000, reason: '', wasClean: true }]);
  });

  it('replays headers set before connect onto the response', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    driver.setHeader('X-Served-By', 'unit');
    feed(driver, requestHead(), chunking);
    driver.setHeader('Set-Cookie', 'a=b');
    driver.start();
    const head = parseHead(rec.written);
    expect(head.headers['x-served-by']).toBe('unit');
    expect(head.headers['set-cookie']).toBe('a=b');
  });

  it('reject() writes the given status, closes with 1006, and start() then does nothing', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    feed(driver, requestHead(), chunking);
    expect(driver.reject(403, 'Go away')).toBe(true);
    const head = parseHead(rec.written);
    expect(head.status).toBe(403);
    expect(new TextDecoder().decode(head.rest)).toContain('Go away');
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: 'Go away', wasClean: false }]);
    expect(driver.readyState).toBe(3);
    const before = rec.written.length;
    expect(driver.start()).toBe(false);
    expect(driver.reject()).toBe(false);
    expect(rec.written.length).toBe(before);
  });

  it('reject() defaults to 400, and refuses a status that is not an error', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    feed(driver, requestHead(), chunking);
    expect(() => driver.reject(200)).toThrow(RangeError);
    expect(driver.reject()).toBe(true);
    expect(parseHead(rec.written).status).toBe(400);
  });

  it('reject() and start() before the head arrived do nothing', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    expect(driver.reject()).toBe(false);
    expect(driver.start()).toBe(false);
    expect(rec.written.length).toBe(0);
    expect(rec.events).toEqual([]);
  });

  it('answers a head larger than maxHeadSize with 431, an error and close', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxHeadSize: 1024 }));
    feed(driver, requestHead({ headers: { 'X-Big': 'x'.repeat(2000) } }), chunking);
    expect(parseHead(rec.written).status).toBe(431);
    expect(rec.types).toEqual(['error', 'close']);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_HEAD_TOO_LARGE' });
    expect(driver.readyState).toBe(3);
  });

  it('stops reading an endless head at maxHeadSize, without waiting for its end', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxHeadSize: 256 }));
    feed(driver, latin1Bytes('GET / HTTP/1.1\r\nX: ' + 'y'.repeat(400)), chunking);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_HEAD_TOO_LARGE' });
    expect(parseHead(rec.written).status).toBe(431);
  });

  it('answers more than maxHeaders header lines with 431', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket, { maxHeaders: 10 }));
    const extra: Record<string, string> = {};
    for (let i = 0; i < 10; i++) extra[`X-H${i}`] = 'v';
    feed(driver, requestHead({ headers: extra }), chunking);
    expect(parseHead(rec.written).status).toBe(431);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_TOO_MANY_HEADERS' });
  });

  it.each([
    ['a bare LF line ending', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['a garbage request line', 'HELLO\r\nHost: a\r\n\r\n'],
    ['a control character in a value', 'GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n'],
  ])('answers %s with 400 and HTTP_MALFORMED', (_name, text) => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    feed(driver, latin1Bytes(text), chunking);
    expect(parseHead(rec.written).status).toBe(400);
    expect(rec.types).toEqual(['error', 'close']);
    expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_MALFORMED' });
    expect(driver.readyState).toBe(3);
  });

  it('transportClosed() before the head closes with 1006', () => {
    const rec = new Recorder();
    const driver = rec.attach(Driver.server(rec.socket));
    feed(driver, requestHead().subarray(0, 20), chunking);
    driver.transportClosed();
    driver.transportClosed();
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
    expect(driver.readyState).toBe(3);
  });
});

describe('Driver.rack', () => {
  const rackEnv = (overrides: Record<string, string | undefined> = {}) => ({
    REQUEST_METHOD: 'GET',
    PATH_INFO: '/chat',
    QUERY_STRING: 'a=1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    HTTP_HOST: 'example.com',
    HTTP_UPGRADE: 'websocket',
    HTTP_CONNECTION: 'Upgrade',
    HTTP_SEC_WEBSOCKET_KEY: SAMPLE_KEY,
    HTTP_SEC_WEBSOCKET_VERSION: '13',
    ...overrides,
  });
  const headerInit = {
    Host: 'example.com',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Protocol': 'chat, json',
  };

  function rack(env: unknown, options?: DriverOptions) {
    const rec = new Recorder({ env });
    const driver = rec.attach(Driver.rack(rec.socket, options));
    return { driver, rec };
  }

  it('accepts a Rack env, with url and headers from it', () => {
    const { driver, rec } = rack(rackEnv());
    expect(driver.url).toBe('ws://example.com/chat?a=1');
    expect(driver.headers['sec-websocket-key']).toBe(SAMPLE_KEY);
    expect(driver.env['PATH_INFO']).toBe('/chat');
    expect(driver.start()).toBe(true);
    expect(parseHead(rec.written).headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
    expect(rec.types).toEqual(['open']);
  });

  it('picks the version from a Rack env', () => {
    expect(rack(rackEnv({ HTTP_SEC_WEBSOCKET_VERSION: '8' })).driver.version).toBe('hybi-8');
    expect(rack(rackEnv({ HTTP_SEC_WEBSOCKET_VERSION: '7' })).driver.version).toBe('hybi-7');
  });

  it('uses wss: for a Rack env that came over TLS', () => {
    expect(rack(rackEnv({ 'rack.url_scheme': 'https' })).driver.url).toBe('wss://example.com/chat?a=1');
  });

  it('refuses a Rack env that is not a handshake with 400 on start()', () => {
    const { driver, rec } = rack(rackEnv({ HTTP_UPGRADE: undefined }));
    expect(driver.start()).toBe(false);
    expect(parseHead(rec.written).status).toBe(400);
    expect(rec.types).toEqual(['error', 'close']);
  });

  it('accepts a Fetch Request', () => {
    const request = new Request('https://example.com/chat?a=1', { headers: headerInit });
    const { driver, rec } = rack(request, { protocols: ['json'] });
    expect(driver.url).toBe('wss://example.com/chat?a=1');
    expect(driver.start()).toBe(true);
    const head = parseHead(rec.written);
    expect(head.headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
    expect(head.headers['sec-websocket-protocol']).toBe('json');
  });

  it('takes the Host of a Fetch Request without a Host header from its URL', () => {
    const { Host: _host, ...withoutHost } = headerInit;
    const { driver, rec } = rack(new Request('http://example.org:8080/x', { headers: withoutHost }));
    expect(driver.start()).toBe(true);
    expect(parseHead(rec.written).status).toBe(101);
    expect(driver.url).toBe('ws://example.org:8080/x');
  });

  it('refuses a Fetch Request that is not a GET', () => {
    const { driver, rec } = rack(new Request('http://example.com/', { method: 'POST', headers: headerInit }));
    expect(driver.start()).toBe(false);
    expect(parseHead(rec.written).status).toBe(400);
  });

  it('accepts bare Fetch Headers', () => {
    const { driver, rec } = rack(new Headers(headerInit));
    expect(driver.start()).toBe(true);
    expect(parseHead(rec.written).headers['sec-websocket-accept']).toBe(SAMPLE_ACCEPT);
  });

  it('accepts an IncomingMessage-like { method, url, headers } with array values', () => {
    const { driver, rec } = rack({
      method: 'GET',
      url: '/chat?a=1',
      httpVersion: '1.1',
      headers: {
        host: 'example.com',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': SAMPLE_KEY,
        'sec-websocket-version': '13',
        'sec-websocket-protocol': ['chat', 'json'],
      },
    }, { protocols: ['json'] });
    expect(driver.url).toBe('ws://example.com/chat?a=1');
    expect(driver.env['QUERY_STRING']).toBe('a=1');
    expect(driver.start()).toBe(true);
    expect(driver.protocol).toBe('json');
  });

  it('refuses an IncomingMessage-like request over HTTP/1.0', () => {
    const { driver } = rack({ method: 'GET', url: '/', httpVersion: '1.0', headers: Object.fromEntries(Object.entries(headerInit).map(([k, v]) => [k.toLowerCase(), v])) });
    expect(driver.start()).toBe(false);
  });

  it('throws a TypeError for a socket with no usable env', () => {
    expect(() => Driver.rack({ write() {} })).toThrow(TypeError);
    expect(() => Driver.rack({ write() {}, env: 42 })).toThrow(TypeError);
  });
});

describe('Driver.isWebSocket', () => {
  const headers = { host: 'a', upgrade: 'websocket', connection: 'keep-alive, Upgrade' };

  it.each([
    ['a Rack env', { REQUEST_METHOD: 'GET', HTTP_UPGRADE: 'WebSocket', HTTP_CONNECTION: 'upgrade' }],
    ['an IncomingMessage-like request', { method: 'GET', url: '/', headers }],
    ['a Fetch Request', new Request('http://a/', { headers })],
    ['Fetch Headers', new Headers(headers)],
    // Read without being normalized (a Node request), then the forms that need it.
    ['an IncomingMessage-like request without a method', { url: '/', headers }],
    ['a request with Connection repeated (an array)', { method: 'GET', headers: { upgrade: 'websocket', connection: ['keep-alive', 'Upgrade'] } }],
    ['a request whose header names are not lower-case', { method: 'GET', headers: { Upgrade: 'websocket', Connection: 'Upgrade' } }],
    ['a Connection list with tabs and empty items', { method: 'GET', headers: { upgrade: 'WebSocket', connection: ' ,\tupgrade ,' } }],
  ])('is true for %s asking to upgrade', (_name, request) => {
    expect(Driver.isWebSocket(request)).toBe(true);
  });

  it.each([
    ['a POST', { method: 'POST', url: '/', headers }],
    ['no Upgrade', { method: 'GET', url: '/', headers: { connection: 'upgrade' } }],
    ['Upgrade: h2c', { method: 'GET', url: '/', headers: { upgrade: 'h2c', connection: 'upgrade' } }],
    ['Connection: keep-alive', { method: 'GET', url: '/', headers: { upgrade: 'websocket', connection: 'keep-alive' } }],
    ['a Rack env without headers', { REQUEST_METHOD: 'GET' }],
    ['a Rack env for a POST with a headers field', { REQUEST_METHOD: 'POST', HTTP_UPGRADE: 'websocket', HTTP_CONNECTION: 'upgrade', headers }],
    ['Connection: upgrades', { method: 'GET', headers: { upgrade: 'websocket', connection: 'upgrades' } }],
    ['Upgrade: websocket2', { method: 'GET', headers: { upgrade: 'websocket2', connection: 'upgrade' } }],
    ['a HEAD', { method: 'HEAD', headers }],
    ['null', null],
    ['a string', 'GET / HTTP/1.1'],
  ])('is false for %s', (_name, request) => {
    expect(Driver.isWebSocket(request as never)).toBe(false);
  });
});

describe('server handshake across chunk splits', () => {
  it.each([1, 2, 3, 7, 50].map((n) => ({ sizes: [n] }) as Chunking))('opens whatever the cut (%o)', (chunking) => {
    const { driver, head } = serve({}, undefined, chunking);
    expect(head!.status).toBe(101);
    expect(driver.readyState).toBe(1);
  });
});

describe('hasToken', () => {
  // The lone-token shortcut must answer as the list does, whatever the token
  // (the fuzz target found '' in '' answered true by an earlier shortcut).
  it.each([
    ['Upgrade', 'upgrade', true],
    ['WebSocket', 'websocket', true],
    ['keep-alive, Upgrade', 'upgrade', true],
    ['upgrad ', 'upgrade', false],
    ['upgrades', 'upgrade', false],
    ['', '', false],
    [' a', ' a', false],
    ['a,b', 'a,b', false],
    [',', ',', false],
    // A value as long as the token, read as the list reads it: one element with a space inside, one with a vertical tab the list keeps, one with a tab it trims.
    ['a b', 'a b', true],
    ['\vup', '\vup', true],
    ['up\t', 'up\t', false],
  ])('hasToken(%j, %j) is %s', (value, token, expected) => {
    expect(hasToken(value, token)).toBe(expected);
  });
});
