// RFC 6455 §4.1: the client's opening handshake — the request it sends,
// and every check it makes on the server's response.
import { describe, expect, it } from 'vitest';
import { Driver, type DriverOptions } from '../../lib/index.js';
import {
  acceptFor,
  BASIC_CHUNKINGS,
  concat,
  decodeFrames,
  feed,
  latin1Bytes,
  Op,
  parseHead,
  Recorder,
  responseHead,
  serverFrame,
  startedClient,
  type ResponseSpec,
} from '../helpers/index.js';

function requestOf(url: string, options?: DriverOptions, setUp?: (driver: ReturnType<typeof Driver.client>) => void) {
  const rec = new Recorder({ url });
  const driver = rec.attach(Driver.client(rec.socket, options));
  setUp?.(driver);
  expect(driver.start()).toBe(true);
  return { driver, rec, head: parseHead(rec.written) };
}

describe('client opening request (§4.1)', () => {
  it('is a GET of the path and query over HTTP/1.1 with the required headers', () => {
    const { head, driver } = requestOf('ws://example.com/chat?room=1');
    expect(head.startLine).toBe('GET /chat?room=1 HTTP/1.1');
    expect(head.headers['host']).toBe('example.com');
    expect(head.headers['upgrade']).toBe('websocket');
    expect(head.headers['connection']!.toLowerCase()).toBe('upgrade');
    expect(head.headers['sec-websocket-version']).toBe('13');
    expect(head.headers['sec-websocket-protocol']).toBeUndefined();
    expect(head.rest.length).toBe(0);
    expect(driver.readyState).toBe(0);
    expect(driver.version).toBe('hybi-13');
  });

  it('sends a key that is base64 of 16 bytes, fresh for each connection', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const key = requestOf('ws://example.com/').head.headers['sec-websocket-key']!;
      expect(Buffer.from(key, 'base64')).toHaveLength(16);
      expect(Buffer.from(key, 'base64').toString('base64')).toBe(key);
      keys.add(key);
    }
    expect(keys.size).toBe(20);
  });

  it.each([
    ['ws://example.com:80/', 'example.com'],
    ['wss://example.com:443/', 'example.com'],
    ['ws://example.com:8080/', 'example.com:8080'],
    ['wss://example.com:80/', 'example.com:80'],
    ['ws://[::1]:9000/', '[::1]:9000'],
  ])('sends the Host for %s as %s', (url, host) => {
    expect(requestOf(url).head.headers['host']).toBe(host);
  });

  it('sends "/" for a URL with no path', () => {
    expect(requestOf('ws://example.com').head.startLine).toBe('GET / HTTP/1.1');
  });

  it('offers its subprotocols in order of preference', () => {
    expect(requestOf('ws://a/', { protocols: ['v2.chat', 'chat'] }).head.headers['sec-websocket-protocol']).toBe('v2.chat, chat');
  });

  it('sends headers set with setHeader()', () => {
    const { head } = requestOf('ws://a/', undefined, (d) => {
      d.setHeader('Origin', 'http://a');
      d.setHeader('Cookie', 'x=1');
    });
    expect(head.headers['origin']).toBe('http://a');
    expect(head.headers['cookie']).toBe('x=1');
  });

  it('sends Basic credentials from the URL, unless an Authorization header was set', () => {
    const auto = requestOf('ws://ann:s%20ecret@a/').head;
    expect(auto.headers['authorization']).toBe('Basic ' + Buffer.from('ann:s ecret').toString('base64'));
    const explicit = requestOf('ws://ann:pw@a/', undefined, (d) => d.setHeader('Authorization', 'Bearer t')).head;
    expect(explicit.rawHeaders.filter(([n]) => n.toLowerCase() === 'authorization')).toEqual([['Authorization', 'Bearer t']]);
  });

  it('start() sends the request once', () => {
    const { driver, rec } = requestOf('ws://a/');
    const before = rec.written.length;
    expect(driver.start()).toBe(false);
    expect(rec.written.length).toBe(before);
  });

  it.each(['ftp://a/', 'not a url', 'ws://a/#frag'])('Driver.client throws a TypeError for %s', (url) => {
    expect(() => Driver.client({ write() {}, url })).toThrow(TypeError);
  });

  it('Driver.client throws a TypeError for a socket with no url', () => {
    expect(() => Driver.client({ write() {} })).toThrow(TypeError);
  });
});

describe.each(BASIC_CHUNKINGS)('client checks of the response, fed %s', (chunking) => {
  function respond(spec: Omit<ResponseSpec, 'key'> & { key?: string }, options?: DriverOptions, after?: Uint8Array) {
    const setup = startedClient(options);
    const head = responseHead({ key: setup.key, ...spec });
    feed(setup.driver, after ? concat(head, after) : head, chunking);
    return setup;
  }

  it('opens on a valid 101, exposing statusCode and headers', () => {
    const { driver, rec } = respond({ headers: { 'X-Server': 'unit' } });
    expect(rec.types).toEqual(['open']);
    expect(driver.readyState).toBe(1);
    expect(driver.statusCode).toBe(101);
    expect(driver.headers['x-server']).toBe('unit');
    expect(driver.protocol).toBeNull();
  });

  it.each([
    ['Upgrade in upper case', { Upgrade: 'WEBSOCKET' }],
    ['Connection with extra tokens in mixed case', { Connection: 'keep-alive, UpGrAdE' }],
  ])('accepts %s', (_name, headers) => {
    expect(respond({ headers }).driver.readyState).toBe(1);
  });

  it.each([
    ['200', 200, 'HANDSHAKE_UNEXPECTED_STATUS'],
    ['302', 302, 'HANDSHAKE_UNEXPECTED_STATUS'],
    ['400', 400, 'HANDSHAKE_UNEXPECTED_STATUS'],
    ['426', 426, 'HANDSHAKE_UNEXPECTED_STATUS'],
  ])('fails on status %s', (_name, status, code) => {
    const { driver, rec } = respond({ status });
    expect(rec.types).toEqual(['error', 'close']);
    expect(rec.of('error')[0]).toMatchObject({ code, closeCode: 1002 });
    expect(rec.of('error')[0]!.message).toContain(String(status));
    expect(rec.of('close')[0]).toMatchObject({ wasClean: false });
    expect(driver.statusCode).toBe(status);
    expect(driver.readyState).toBe(3);
    // A failed handshake writes nothing more: no close frame on a connection that never opened.
    expect(rec.take().length).toBe(0);
  });

  it.each([
    ['no Upgrade', { Upgrade: null }, 'HANDSHAKE_BAD_RESPONSE'],
    ['Upgrade: h2c', { Upgrade: 'h2c' }, 'HANDSHAKE_BAD_RESPONSE'],
    ['no Connection', { Connection: null }, 'HANDSHAKE_BAD_RESPONSE'],
    ['Connection: close', { Connection: 'close' }, 'HANDSHAKE_BAD_RESPONSE'],
    ['no Sec-WebSocket-Accept', { 'Sec-WebSocket-Accept': null }, 'HANDSHAKE_BAD_ACCEPT'],
    ['an accept for another key', { 'Sec-WebSocket-Accept': acceptFor('AAAAAAAAAAAAAAAAAAAAAA==') }, 'HANDSHAKE_BAD_ACCEPT'],
  ])('fails on %s', (_name, headers, code) => {
    const { driver, rec } = respond({ headers });
    expect(rec.types).toEqual(['error', 'close']);
    expect(rec.of('error')[0]).toMatchObject({ code });
    expect(driver.readyState).toBe(3);
    expect(rec.take().length).toBe(0);
  });

  it('takes the subprotocol the server chose among those offered', () => {
    const { driver } = respond({ protocol: 'chat' }, { protocols: ['v2', 'chat'] });
    expect(driver.readyState).toBe(1);
    expect(driver.protocol).toBe('chat');
  });

  it('accepts a server that chose no subprotocol', () => {
    const { driver } = respond({}, { protocols: ['v2', 'chat'] });
    expect(driver.readyState).toBe(1);
    expect(driver.protocol).toBeNull();
  });

  it.each([
    ['a protocol not offered', 'other', ['chat']],
    ['a protocol when none was offered', 'chat', []],
    ['two protocols', 'chat, v2', ['chat', 'v2']],
    ['a protocol differing in case', 'CHAT', ['chat']],
  ])('fails when the server chose %s', (_name, protocol, protocols) => {
    const { driver, rec } = respond({ protocol }, { protocols });
    expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_PROTOCOL' });
    expect(driver.readyState).toBe(3);
  });

  it('fails when the server names an extension that was not offered (§4.1 item 5)', () => {
    const { driver, rec } = respond({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
    expect(rec.of('error')[0]).toMatchObject({ code: 'HANDSHAKE_BAD_EXTENSION' });
    expect(driver.readyState).toBe(3);
  });

  it('delivers frames that arrive in the same chunk as the response, after open', () => {
    const frames = concat(serverFrame(Op.TEXT, 'hello'), serverFrame(Op.PING, 'p'), serverFrame(Op.BINARY, Uint8Array.of(9)));
    const { rec } = respond({}, undefined, frames);
    expect(rec.types).toEqual(['open', 'message', 'ping', 'message']);
    expect(rec.messages).toEqual(['hello', Uint8Array.of(9)]);
    expect(decodeFrames(rec.take()).map((f) => [f.opcode, f.masked])).toEqual([[Op.PONG, true]]);
  });

  it('does not deliver frames that follow a rejected response', () => {
    const { rec } = respond({ status: 403 }, undefined, serverFrame(Op.TEXT, 'sneaky'));
    expect(rec.of('message')).toEqual([]);
  });

  it('fails on a malformed status line', () => {
    const setup = startedClient();
    feed(setup.driver, latin1Bytes('HTTP/1.1 abc Nope\r\n\r\n'), chunking);
    expect(setup.rec.of('error')[0]).toMatchObject({ code: 'HTTP_MALFORMED' });
    expect(setup.driver.readyState).toBe(3);
  });

  it('fails on a response head larger than maxHeadSize', () => {
    const { driver, rec } = respond({ headers: { 'X-Big': 'x'.repeat(600) } }, { maxHeadSize: 256 });
    expect(rec.of('error')[0]).toMatchObject({ code: 'HTTP_HEAD_TOO_LARGE', closeCode: 1009 });
    expect(rec.of('close')[0]).toMatchObject({ code: 1009, wasClean: false });
    expect(driver.readyState).toBe(3);
  });

  it('sends messages queued before open right after the response, in order', () => {
    const rec = new Recorder({ url: 'ws://a/' });
    const driver = rec.attach(Driver.client(rec.socket));
    expect(driver.text('one')).toBe(true);
    expect(driver.binary(Uint8Array.of(2))).toBe(true);
    driver.start();
    const key = rec.takeHead().headers['sec-websocket-key']!;
    expect(rec.take().length).toBe(0);
    feed(driver, responseHead({ key }), chunking);
    const frames = rec.takeFrames();
    expect(frames.map((f) => [f.opcode, f.masked])).toEqual([[Op.TEXT, true], [Op.BINARY, true]]);
    expect(new TextDecoder().decode(frames[0]!.payload)).toBe('one');
    expect(rec.types).toEqual(['open']);
  });
});
