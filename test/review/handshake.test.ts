// Opening-handshake rules found missing in review: the client's Host and
// Authorization, the server's absolute-form request target, and the 426.
import { describe, expect, it } from 'vitest';
import { Driver, framingDriver } from '../../lib/index.js';
import { BASIC_CHUNKINGS, chunkingName, feed, parseHead, Recorder, requestHead } from '../helpers/index.js';

function clientRequest(url: string, setUp?: (driver: ReturnType<typeof Driver.client>) => void) {
  const rec = new Recorder({ url });
  const driver = Driver.client(rec.socket);
  setUp?.(driver);
  driver.start();
  return parseHead(rec.written);
}

describe('client: the Host header', () => {
  it('is derived from the URL when the application sets none', () => {
    const head = clientRequest('ws://[::1]:8080/chat');
    expect(head.rawHeaders.filter(([name]) => name.toLowerCase() === 'host')).toEqual([['Host', '[::1]:8080']]);
  });

  it('set with setHeader() replaces the one from the URL: a request has one Host (RFC 9112 §3.2)', () => {
    const head = clientRequest('ws://10.0.0.1:8080/chat', (driver) => driver.setHeader('host', 'chat.example'));
    expect(head.rawHeaders.filter(([name]) => name.toLowerCase() === 'host')).toEqual([['host', 'chat.example']]);
  });
});

describe('client: Authorization from the URL user info', () => {
  it('is Basic of the percent-decoded user and password, as UTF-8', () => {
    const head = clientRequest('ws://J%C3%BCrgen:p%40ss@example.com/');
    expect(head.headers['authorization']).toBe(`Basic ${Buffer.from('Jürgen:p@ss').toString('base64')}`);
  });

  it('keeps the password out of driver.url and driver.target: it is sent only as Authorization', () => {
    const rec = new Recorder({ url: 'ws://ada:s3cret-pw@example.com:8080/chat?room=1' });
    const driver = Driver.client(rec.socket);
    expect(driver.url).toBe('ws://ada@example.com:8080/chat?room=1');
    expect(JSON.stringify(driver.target)).not.toContain('s3cret-pw');
    expect(driver.target).not.toHaveProperty('password');
    driver.start();
    const head = parseHead(rec.take());
    expect(head.headers['authorization']).toBe(`Basic ${Buffer.from('ada:s3cret-pw').toString('base64')}`);
    expect(head.startLine).toBe('GET /chat?room=1 HTTP/1.1');
  });

  it('keeps the password out of an HTTP/2 client driver\'s url too', () => {
    const rec = new Recorder({ url: 'wss://ada:s3cret-pw@example.com/chat' });
    const driver = framingDriver(rec.socket, 'client');
    expect(driver.url).toBe('wss://ada@example.com/chat');
    expect(driver.requestHeaders()['authorization']).toBe(`Basic ${Buffer.from('ada:s3cret-pw').toString('base64')}`);
  });

  it.each([
    ['a malformed percent-escape', 'ws://%zz@example.com/'],
    ['an escape that is not UTF-8', 'ws://%FF:pw@example.com/'],
    ['a user name holding a colon (RFC 7617 §2)', 'ws://us%3Aer:pw@example.com/'],
    ['a control character', 'ws://user:p%0Aw@example.com/'],
  ])('refuses %s with a TypeError when the driver is made', (_what, url) => {
    const rec = new Recorder({ url });
    expect(() => Driver.client(rec.socket)).toThrow(TypeError);
  });
});

describe.each(BASIC_CHUNKINGS.map((chunking) => ({ chunking, name: chunkingName(chunking) })))(
  'server: an absolute-form request target, fed $name (RFC 9112 §3.2.2)',
  ({ chunking }) => {
    function serve(target: string, host: string) {
      const rec = new Recorder();
      const driver = rec.attach(Driver.server(rec.socket));
      feed(driver, requestHead({ target, host }), chunking);
      return { driver, rec };
    }

    it('is read as its path and query, with the host taken from the target rather than Host', () => {
      const { driver } = serve('http://chat.example:8080/room?id=1', 'other.example');
      expect(driver.url).toBe('ws://chat.example:8080/room?id=1');
      expect(driver.headers!['host']).toBe('chat.example:8080');
      expect(driver.env).toMatchObject({
        PATH_INFO: '/room',
        QUERY_STRING: 'id=1',
        REQUEST_URI: '/room?id=1',
        SERVER_NAME: 'chat.example',
        SERVER_PORT: '8080',
        HTTP_HOST: 'chat.example:8080',
      });
      expect(driver.start()).toBe(true);
    });

    it('keeps an https: target secure', () => {
      const { driver } = serve('https://chat.example/room', 'chat.example');
      expect(driver.url).toBe('wss://chat.example/room');
      expect(driver.env).toMatchObject({ 'rack.url_scheme': 'https', SERVER_PORT: '443' });
    });
  },
);

describe('server: 426 for an unsupported Sec-WebSocket-Version', () => {
  it('names the protocol to upgrade to, with the upgrade connection option (RFC 9110 §15.5.22, §7.8)', () => {
    const rec = new Recorder();
    const driver = Driver.server(rec.socket);
    driver.parse(requestHead({ version: '12' }));
    driver.start();
    const head = parseHead(rec.written);
    expect(head.status).toBe(426);
    expect(head.headers['upgrade']).toBe('websocket');
    const connection = head.headers['connection']!.split(',').map((token) => token.trim().toLowerCase());
    expect(connection).toContain('upgrade');
    expect(connection).toContain('close');
    expect(head.headers['sec-websocket-version']).toBe('13, 8, 7');
  });
});

describe('rack server: an IncomingMessage with an absolute-form url (RFC 9112 §3.2.2)', () => {
  it('is read as its path and query, with the host taken from the url', () => {
    const env = {
      method: 'GET',
      url: 'http://chat.example/room?id=1',
      httpVersion: '1.1',
      headers: { host: 'other.example', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
    };
    const rec = new Recorder({ env });
    const driver = Driver.rack(rec.socket);
    expect(driver.url).toBe('ws://chat.example/room?id=1');
    expect(driver.env).toMatchObject({ PATH_INFO: '/room', QUERY_STRING: 'id=1', HTTP_HOST: 'chat.example' });
  });
});
