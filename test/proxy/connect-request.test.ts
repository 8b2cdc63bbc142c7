// The proxy URL and the CONNECT request built from it: credentials, Host,
// default ports, extra headers.
import { describe, expect, it } from 'vitest';
import { Driver, httpProxy, type HttpProxy } from '../../lib/index.js';
import { parseProxyUrl } from '../../lib/proxy/connect-request.js';
import { parseHead, Recorder } from '../helpers/index.js';

/** Starts a proxy for a client of `target` and returns the CONNECT head it wrote. */
function connectHead(target: string, proxyUrl: string, setup?: (proxy: HttpProxy) => void) {
  const { proxy, rec } = proxyFor(target, proxyUrl);
  setup?.(proxy);
  expect(proxy.start()).toBe(true);
  return parseHead(rec.take());
}

function proxyFor(target: string, proxyUrl: string) {
  const rec = new Recorder({ url: target });
  const driver = Driver.client(rec.socket);
  return { proxy: httpProxy(driver, proxyUrl), rec, driver };
}

/** The user:password a Basic header carries, as the bytes it encodes. */
function basicBytes(header: string | undefined): Uint8Array {
  expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  return new Uint8Array(Buffer.from(header!.slice('Basic '.length), 'base64'));
}

describe('the CONNECT request', () => {
  it('names the target as host:port, in the request line and in Host', () => {
    const head = connectHead('ws://echo.example:8080/chat?x=1', 'http://127.0.0.1:3128');
    expect(head.startLine).toBe('CONNECT echo.example:8080 HTTP/1.1');
    expect(head.rawHeaders).toEqual([['Host', 'echo.example:8080']]);
    expect(head.rest.length).toBe(0);
  });

  it('uses port 80 for a ws: target and 443 for a wss: target when the URL has none', () => {
    expect(connectHead('ws://echo.example/', 'http://proxy').startLine).toBe('CONNECT echo.example:80 HTTP/1.1');
    expect(connectHead('wss://echo.example/', 'http://proxy').startLine).toBe('CONNECT echo.example:443 HTTP/1.1');
    expect(connectHead('wss://echo.example/', 'http://proxy').headers['host']).toBe('echo.example:443');
  });

  it('keeps an IPv6 target in brackets', () => {
    const head = connectHead('ws://[::1]:9000/', 'http://proxy');
    expect(head.startLine).toBe('CONNECT [::1]:9000 HTTP/1.1');
    expect(head.headers['host']).toBe('[::1]:9000');
  });

  it('sends the target host in its ASCII (punycode) form', () => {
    expect(connectHead('ws://bücher.example/', 'http://proxy').startLine).toBe('CONNECT xn--bcher-kva.example:80 HTTP/1.1');
  });

  it('writes nothing before start(), and only once', () => {
    const { proxy, rec } = proxyFor('ws://echo.example/', 'http://proxy');
    expect(rec.socket.writes).toHaveLength(0);
    expect(proxy.start()).toBe(true);
    expect(proxy.start()).toBe(false);
    expect(rec.socket.writes).toHaveLength(1);
  });
});

describe('Proxy-Authorization from the URL', () => {
  it('is absent when the URL has no user info', () => {
    expect(connectHead('ws://echo.example/', 'http://proxy:3128').headers['proxy-authorization']).toBeUndefined();
  });

  it('is Basic user:password', () => {
    const header = connectHead('ws://echo.example/', 'http://alice:secret@proxy:3128').headers['proxy-authorization'];
    expect(header).toBe('Basic YWxpY2U6c2VjcmV0');
  });

  it('percent-decodes user and password, then encodes them as UTF-8 (RFC 7617 §2.1)', () => {
    // The URL parser escapes the non-ASCII letters, the '@' and the second ':'.
    const header = connectHead('ws://echo.example/', 'http://ünï:p@ss:wörd@proxy:3128').headers['proxy-authorization'];
    expect(basicBytes(header)).toEqual(new TextEncoder().encode('ünï:p@ss:wörd'));
    expect(header).toBe('Basic ' + Buffer.from('ünï:p@ss:wörd', 'utf8').toString('base64'));
  });

  it('decodes explicit percent-escapes the same way as raw characters', () => {
    const escaped = connectHead('ws://echo.example/', 'http://%C3%BCn%C3%AF:p%40ss%3Aw%C3%B6rd@proxy').headers['proxy-authorization'];
    const raw = connectHead('ws://echo.example/', 'http://ünï:p@ss:wörd@proxy').headers['proxy-authorization'];
    expect(escaped).toBe(raw);
  });

  it('sends a user with an empty password as user:', () => {
    const header = connectHead('ws://echo.example/', 'http://alice@proxy').headers['proxy-authorization'];
    expect(new TextDecoder().decode(basicBytes(header))).toBe('alice:');
  });

  it('gives way to a Proxy-Authorization set with setHeader()', () => {
    const head = connectHead('ws://echo.example/', 'http://alice:secret@proxy', (proxy) =>
      proxy.setHeader('Proxy-Authorization', 'Bearer token'),
    );
    expect(head.rawHeaders.filter(([name]) => name.toLowerCase() === 'proxy-authorization')).toEqual([
      ['Proxy-Authorization', 'Bearer token'],
    ]);
  });
});

describe('extra headers', () => {
  it('are sent after Host, in the order set, a repeated name replacing the earlier value', () => {
    const head = connectHead('ws://echo.example/', 'http://proxy', (proxy) => {
      proxy.setHeader('User-Agent', 'wsdriver-test');
      proxy.setHeader('X-Trace', 1);
      proxy.setHeader('user-agent', 'wsdriver-test/2');
    });
    expect(head.rawHeaders).toEqual([
      ['Host', 'echo.example:80'],
      ['user-agent', 'wsdriver-test/2'],
      ['X-Trace', '1'],
    ]);
  });

  it('can be given as options.headers', () => {
    const rec = new Recorder({ url: 'ws://echo.example/' });
    const proxy = httpProxy(Driver.client(rec.socket), 'http://proxy', { headers: { 'User-Agent': 'ua' } });
    proxy.start();
    expect(parseHead(rec.take()).headers['user-agent']).toBe('ua');
  });

  it('are validated: no CR/LF, no non-token name, no Host, none the driver manages', () => {
    const { proxy } = proxyFor('ws://echo.example/', 'http://proxy');
    expect(() => proxy.setHeader('X-Evil', 'a\r\nInjected: yes')).toThrow(TypeError);
    expect(() => proxy.setHeader('Bad Name', 'x')).toThrow(TypeError);
    expect(() => proxy.setHeader('Host', 'elsewhere:80')).toThrow(/Host/);
    expect(() => proxy.setHeader('Content-Length', '0')).toThrow(TypeError);
  });

  it('cannot be set after start()', () => {
    const { proxy } = proxyFor('ws://echo.example/', 'http://proxy');
    proxy.start();
    expect(() => proxy.setHeader('User-Agent', 'late')).toThrow(/before start/);
  });

  it('rejects unknown options', () => {
    const driver = Driver.client(new Recorder({ url: 'ws://echo.example/' }).socket);
    expect(() => httpProxy(driver, 'http://proxy', { header: {} } as never)).toThrow(/unknown proxy option 'header'/);
  });
});

describe('the proxy URL', () => {
  it('gives the host and port to open the transport to', () => {
    expect(parseProxyUrl('http://proxy.example:3128')).toMatchObject({ host: 'proxy.example', port: 3128, secure: false });
    expect(parseProxyUrl('http://proxy.example')).toMatchObject({ port: 80, secure: false });
    expect(parseProxyUrl('https://proxy.example')).toMatchObject({ port: 443, secure: true });
    expect(parseProxyUrl(new URL('http://[::1]:8888'))).toMatchObject({ host: '::1', port: 8888 });
  });

  it('is exposed on the proxy made by the driver', () => {
    const { proxy } = proxyFor('ws://echo.example/', 'http://u:p@[::1]:8888');
    expect([proxy.host, proxy.port, proxy.secure]).toEqual(['::1', 8888, false]);
  });

  it('must be http: or https:', () => {
    expect(() => parseProxyUrl('socks5://proxy:1080')).toThrow(TypeError);
    expect(() => parseProxyUrl('ws://proxy:80')).toThrow(TypeError);
    expect(() => parseProxyUrl('proxy:3128')).toThrow(TypeError);
    expect(() => parseProxyUrl('not a url')).toThrow(TypeError);
  });

  it('rejects credentials Basic cannot carry, and malformed escapes', () => {
    expect(() => parseProxyUrl('http://a%3Ab:pw@proxy')).toThrow(/RFC 7617/);
    expect(() => parseProxyUrl('http://a%0Ab:pw@proxy')).toThrow(/control/);
    expect(() => parseProxyUrl('http://user:%FF@proxy')).toThrow(TypeError);
  });

  it('is checked when the proxy is made, before anything is sent', () => {
    const rec = new Recorder({ url: 'ws://echo.example/' });
    const driver = Driver.client(rec.socket);
    expect(() => httpProxy(driver, 'ftp://proxy')).toThrow(TypeError);
    expect(rec.socket.writes).toHaveLength(0);
  });

  it('takes only a client driver, and says so', () => {
    const rec = new Recorder({ url: 'ws://echo.example/' });
    const server = Driver.server(rec.socket);
    expect(() => httpProxy(server as never, 'http://proxy')).toThrow(/client driver made by Driver.client/);
    expect(() => httpProxy(null as never, 'http://proxy')).toThrow(TypeError);
    expect(rec.socket.writes).toHaveLength(0);
  });
});
