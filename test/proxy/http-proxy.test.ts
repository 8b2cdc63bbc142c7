// The proxy's reading of the CONNECT answer, and the switch to the tunnel:
// every test runs under every chunking, including the answer and the
// tunnelled bytes in one chunk.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fc, test as property } from '@fast-check/vitest';
import { Driver, httpProxy, type DriverOptions, type HttpProxy } from '../../lib/index.js';
import {
  BASIC_CHUNKINGS,
  chunkingName,
  concat,
  feed,
  frame,
  latin1Bytes,
  Op,
  parseHead,
  Recorder,
  responseHead,
  SAMPLE_KEY,
  split,
  type Chunking,
} from '../helpers/index.js';

const CHUNKINGS: readonly Chunking[] = [...BASIC_CHUNKINGS, { seed: 1, maxChunk: 7 }, { seed: 2, maxChunk: 40 }];

const ESTABLISHED = 'HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n';

/** What a proxy emitted, in order. */
type ProxyEvent =
  | { type: 'connect'; statusCode: number; rest: Uint8Array }
  | { type: 'error'; code: string; message: string }
  | { type: 'close' };

interface Setup {
  driver: ReturnType<typeof Driver.client>;
  proxy: HttpProxy;
  rec: Recorder;
  events: ProxyEvent[];
}

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A client of `url` behind a proxy, with SAMPLE_KEY as its handshake key
 * so a 101 can be built before it is sent. The proxy has started; its
 * CONNECT request is taken from the recorder. `startOnConnect` calls
 * driver.start() from the connect listener, as the README does.
 */
function proxied(url = 'ws://echo.example/chat', options?: DriverOptions, startOnConnect = true): Setup {
  const nonce = new TextEncoder().encode('the sample nonce'); // SAMPLE_KEY, decoded
  vi.spyOn(crypto, 'getRandomValues').mockImplementationOnce(<T extends ArrayBufferView | null>(array: T): T => {
    (array as unknown as Uint8Array).set(nonce);
    return array;
  });
  const rec = new Recorder({ url });
  const driver = rec.attach(Driver.client(rec.socket, options));
  vi.restoreAllMocks();
  const proxy = httpProxy(driver, 'http://proxy.example:3128');
  const events: ProxyEvent[] = [];
  proxy.on('connect', (event) => {
    events.push({ type: 'connect', statusCode: event.statusCode, rest: event.rest.slice() });
    if (startOnConnect) driver.start();
  });
  proxy.on('error', (error) => events.push({ type: 'error', code: error.code, message: error.message }));
  proxy.on('close', () => events.push({ type: 'close' }));
  proxy.start();
  expect(parseHead(rec.take()).startLine).toMatch(/^CONNECT /);
  return { driver, proxy, rec, events };
}

/** The server's side of the tunnel: a 101 for SAMPLE_KEY, then a text frame. */
const SERVER_HELLO = concat(responseHead({ key: SAMPLE_KEY }), frame({ opcode: Op.TEXT, payload: 'hello through the tunnel' }));

describe.each(CHUNKINGS.map((c) => [chunkingName(c), c] as const))('proxy answers, fed %s', (_name, chunking) => {
  describe('a 2xx answer', () => {
    it('emits connect, then close, with status and headers readable', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes(ESTABLISHED), chunking);
      expect(events).toEqual([{ type: 'connect', statusCode: 200, rest: new Uint8Array(0) }, { type: 'close' }]);
      expect(proxy.statusCode).toBe(200);
      expect(proxy.statusText).toBe('Connection established');
      expect(proxy.headers['proxy-agent']).toBe('test');
    });

    it('opens the tunnel on any 2xx, not only 200 (RFC 9110 §9.3.6)', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes('HTTP/1.0 204 No Content\r\n\r\n'), chunking);
      expect(events.map((e) => e.type)).toEqual(['connect', 'close']);
      expect(proxy.statusCode).toBe(204);
    });

    it('reads past 1xx interim answers to the final one (RFC 9110 §15.2)', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n' + ESTABLISHED), chunking);
      expect(events.map((e) => e.type)).toEqual(['connect', 'close']);
      expect(proxy.statusCode).toBe(200);
    });

    it('ignores a Content-Length in it: what follows is the tunnel', () => {
      const { driver, proxy } = proxied();
      feed(proxy, concat(latin1Bytes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), SERVER_HELLO), chunking);
      expect(driver.readyState).toBe(1);
    });
  });

  describe('the switch to the tunnel, ws: target', () => {
    it('hands the bytes after the answer to the driver: it opens and reads the message', () => {
      const { driver, proxy, rec, events } = proxied();
      feed(proxy, concat(latin1Bytes(ESTABLISHED), SERVER_HELLO), chunking);
      expect(rec.types).toEqual(['open', 'message']);
      expect(rec.messages).toEqual(['hello through the tunnel']);
      expect(driver.statusCode).toBe(101);
      // Nothing handed to the application twice: the driver has the bytes.
      expect(events[0]).toMatchObject({ type: 'connect', rest: new Uint8Array(0) });
    });

    it('sends the handshake through the tunnel only after the proxy answered', () => {
      const { driver, proxy, rec } = proxied('ws://echo.example/chat', undefined, false);
      expect(driver.start()).toBe(true);
      expect(rec.take().length).toBe(0);
      feed(proxy, latin1Bytes(ESTABLISHED), chunking);
      const head = parseHead(rec.take());
      expect(head.startLine).toBe('GET /chat HTTP/1.1');
      expect(head.headers['sec-websocket-key']).toBe(SAMPLE_KEY);
    });

    it('holds tunnelled bytes until the driver is started later', () => {
      const { driver, proxy, rec } = proxied('ws://echo.example/chat', undefined, false);
      feed(proxy, concat(latin1Bytes(ESTABLISHED), SERVER_HELLO), chunking);
      expect(rec.types).toEqual([]);
      driver.start();
      expect(rec.messages).toEqual(['hello through the tunnel']);
    });
  });

  describe('the switch to the tunnel, wss: target', () => {
    it('forwards nothing to the driver and hands the leftover bytes to the connect listener', () => {
      const { driver, proxy, rec, events } = proxied('wss://echo.example/chat', undefined, false);
      const tls = Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb);
      const answer = latin1Bytes(ESTABLISHED);
      if (chunking === 'whole') {
        proxy.parse(concat(answer, tls));
        expect(events[0]).toEqual({ type: 'connect', statusCode: 200, rest: tls });
      } else {
        feed(proxy, answer, chunking);
        expect(events[0]).toEqual({ type: 'connect', statusCode: 200, rest: new Uint8Array(0) });
        // Later bytes belong to the TLS layer; feeding them here is a mistake.
        expect(() => proxy.parse(tls.slice())).toThrow(/TLS/);
      }
      expect(rec.types).toEqual([]);
      expect(driver.readyState).toBe(0);
    });

    it('sends the handshake (into the TLS stream) only once the connect listeners have run', () => {
      const order: string[] = [];
      const { driver, proxy, rec } = proxied('wss://echo.example/chat', undefined, false);
      rec.socket.onWrite = () => order.push('write');
      proxy.on('connect', () => {
        driver.start(); // before "TLS" is set up: must still wait
        order.push('tls ready');
      });
      feed(proxy, latin1Bytes(ESTABLISHED), chunking);
      expect(order).toEqual(['tls ready', 'write']);
      expect(parseHead(rec.take()).headers['host']).toBe('echo.example');
    });
  });

  describe('a refusal', () => {
    const REFUSAL =
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n' +
      'Content-Length: 11\r\n\r\naccess denied';

    it('emits error with the status in the message, then close; status and headers stay readable', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes(REFUSAL), chunking);
      expect(events).toEqual([
        {
          type: 'error',
          code: 'PROXY_REFUSED',
          message: 'the proxy refused CONNECT echo.example:80: 407 Proxy Authentication Required',
        },
        { type: 'close' },
      ]);
      expect(proxy.statusCode).toBe(407);
      expect(proxy.headers['proxy-authenticate']).toBe('Basic realm="proxy"');
    });

    it('fails the driver with the same error, and sends it nothing', () => {
      const { driver, proxy, rec } = proxied();
      feed(proxy, latin1Bytes(REFUSAL), chunking);
      expect(rec.types).toEqual(['error', 'close']);
      expect(rec.of('error')[0]).toMatchObject({ code: 'PROXY_REFUSED' });
      expect(driver.readyState).toBe(3);
      expect(rec.take().length).toBe(0);
      expect(driver.start()).toBe(false);
    });

    it('treats 101 as a refusal: it is no answer to CONNECT', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes('HTTP/1.1 101 Switching Protocols\r\n\r\n'), chunking);
      expect(events[0]).toMatchObject({ type: 'error', code: 'PROXY_REFUSED' });
      expect(events[0]).toMatchObject({ message: expect.stringContaining('101') });
    });
  });

  describe('a bad answer', () => {
    it('fails on a malformed status line', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes('SSH-2.0-OpenSSH_9.2\r\n\r\n'), chunking);
      expect(events).toEqual([
        { type: 'error', code: 'HTTP_MALFORMED', message: expect.stringContaining('invalid response from the proxy') },
        { type: 'close' },
      ]);
      expect(proxy.statusCode).toBeNull();
    });

    it('fails on a bare LF in the head', () => {
      const { proxy, events } = proxied();
      feed(proxy, latin1Bytes('HTTP/1.1 200 OK\nX: y\r\n\r\n'), chunking);
      expect(events[0]).toMatchObject({ type: 'error', code: 'HTTP_MALFORMED' });
    });

    it('fails as soon as the head outgrows maxHeadSize, without waiting for its end', () => {
      const { proxy, events } = proxied('ws://echo.example/', { maxHeadSize: 256 });
      feed(proxy, latin1Bytes('HTTP/1.1 200 OK\r\nX-Padding: ' + 'a'.repeat(300)), chunking);
      expect(events).toEqual([
        { type: 'error', code: 'HTTP_HEAD_TOO_LARGE', message: expect.stringContaining('256') },
        { type: 'close' },
      ]);
    });

    it('counts 1xx heads against maxHeadSize too', () => {
      const { proxy, events } = proxied('ws://echo.example/', { maxHeadSize: 256 });
      const interim = 'HTTP/1.1 100 Continue\r\nX: ' + 'b'.repeat(60) + '\r\n\r\n';
      feed(proxy, latin1Bytes(interim.repeat(4) + ESTABLISHED), chunking);
      expect(events[0]).toMatchObject({ type: 'error', code: 'HTTP_HEAD_TOO_LARGE' });
    });

    it('fails on more than maxHeaders header lines', () => {
      const { proxy, events } = proxied('ws://echo.example/', { maxHeaders: 3 });
      feed(proxy, latin1Bytes('HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n'), chunking);
      expect(events[0]).toMatchObject({ type: 'error', code: 'HTTP_TOO_MANY_HEADERS' });
    });

    it('ignores whatever follows the failure', () => {
      const { proxy, rec, events } = proxied();
      feed(proxy, latin1Bytes('HTTP/1.1 403 Forbidden\r\n\r\n'), chunking);
      feed(proxy, concat(latin1Bytes(ESTABLISHED), SERVER_HELLO), chunking);
      expect(events.map((e) => e.type)).toEqual(['error', 'close']);
      expect(rec.types).toEqual(['error', 'close']);
    });
  });
});

describe('the transport ending', () => {
  it('before the answer is complete is a PROXY_CLOSED error, reported by driver.transportClosed()', () => {
    const { driver, proxy, rec, events } = proxied();
    proxy.parse(latin1Bytes('HTTP/1.1 200 Conn'));
    driver.transportClosed();
    expect(events).toEqual([{ type: 'error', code: 'PROXY_CLOSED', message: expect.stringContaining('echo.example:80') }, { type: 'close' }]);
    expect(rec.of('close')).toEqual([{ type: 'close', code: 1006, reason: '', wasClean: false }]);
  });

  it('after the tunnel opened is the driver’s business alone', () => {
    const { driver, proxy, events } = proxied();
    proxy.parse(latin1Bytes(ESTABLISHED));
    driver.transportClosed();
    proxy.transportClosed();
    expect(events.map((e) => e.type)).toEqual(['connect', 'close']);
  });

  it('closing the driver while the proxy waits ends the proxy too', () => {
    const { driver, events } = proxied();
    driver.close();
    expect(events.map((e) => e.type)).toEqual(['error', 'close']);
  });
});

describe('misuse', () => {
  it('parse() before start() throws', () => {
    const driver = Driver.client(new Recorder({ url: 'ws://echo.example/' }).socket);
    const proxy = httpProxy(driver, 'http://proxy');
    expect(() => proxy.parse(latin1Bytes(ESTABLISHED))).toThrow(/start\(\)/);
  });

  it('a driver takes one proxy', () => {
    const driver = Driver.client(new Recorder({ url: 'ws://echo.example/' }).socket);
    httpProxy(driver, 'http://proxy');
    expect(() => httpProxy(driver, 'http://other')).toThrow(/already has a proxy/);
  });

  it('an exception from a connect listener is rethrown from parse(), after the bytes were handed on', () => {
    const { proxy, rec } = proxied();
    proxy.on('connect', () => {
      throw new Error('listener bug');
    });
    expect(() => proxy.parse(concat(latin1Bytes(ESTABLISHED), SERVER_HELLO))).toThrow('listener bug');
    expect(rec.messages).toEqual(['hello through the tunnel']);
  });

  it('an error event with no listener does not throw', () => {
    const driver = Driver.client(new Recorder({ url: 'ws://echo.example/' }).socket);
    const proxy = httpProxy(driver, 'http://proxy');
    proxy.start();
    expect(() => proxy.parse(latin1Bytes('HTTP/1.1 502 Bad Gateway\r\n\r\n'))).not.toThrow();
    expect(proxy.statusCode).toBe(502);
  });
});

describe('any split of the answer and the tunnelled stream', () => {
  const stream = concat(
    latin1Bytes('HTTP/1.1 100 Continue\r\n\r\n' + ESTABLISHED),
    SERVER_HELLO,
    frame({ opcode: Op.BINARY, payload: Uint8Array.of(1, 2, 3) }),
  );
  property.prop([fc.array(fc.integer({ min: 1, max: stream.length }), { minLength: 1, maxLength: 12 })])(
    'opens the driver and delivers both messages',
    (sizes) => {
      const { proxy, rec, events } = proxied();
      for (const chunk of split(stream, { sizes })) proxy.parse(chunk);
      expect(events.map((e) => e.type)).toEqual(['connect', 'close']);
      expect(rec.types).toEqual(['open', 'message', 'message']);
      expect(rec.messages).toEqual(['hello through the tunnel', Uint8Array.of(1, 2, 3)]);
    },
  );
});
