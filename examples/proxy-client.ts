/**
 * A WebSocket client through an HTTP proxy (CONNECT), over node:net, with
 * TLS started inside the tunnel for wss: URLs.
 *
 *   npx tsx examples/proxy-client.ts wss://echo.example.com/ http://user:secret@127.0.0.1:3128
 *
 * It sends one message, prints what comes back, and closes. For a server
 * with a self-signed certificate, point NODE_EXTRA_CA_CERTS at it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Driver, httpProxy } from 'wsdriver';

const [targetArg, proxyArg] = process.argv.slice(2);
if (targetArg === undefined || proxyArg === undefined) {
  console.error('usage: tsx examples/proxy-client.ts <ws: or wss: URL> <http: proxy URL>');
  process.exit(2);
}
const target = new URL(targetArg);

const tcp = new net.Socket();
// The driver writes to whatever carries the connection: TCP while the
// proxy is asked for a tunnel, then TLS inside the tunnel for wss:.
let transport: net.Socket = tcp;
const driver = Driver.client({ url: target, write: (bytes) => transport.write(bytes) });
const proxy = httpProxy(driver, proxyArg);
proxy.setHeader('User-Agent', 'wsdriver-example');

// Everything TCP receives goes to the proxy. Once the tunnel is open it
// passes ws: bytes on to the driver itself, the first ones included.
const toProxy = (bytes: Uint8Array) => proxy.parse(bytes);
tcp.on('data', toProxy);

proxy.on('connect', () => {
  console.log(`tunnel open: ${proxy.statusCode} ${proxy.statusText}`);
  if (target.protocol === 'wss:') {
    // TLS reads the TCP socket from here on. (`rest` in the connect event
    // is empty: a TLS client speaks first.)
    tcp.off('data', toProxy);
    const host = target.hostname;
    // SNI takes host names only (RFC 6066 §3); an IP address is still checked against the certificate.
    const secure = tls.connect({ socket: tcp, host, ...(net.isIP(host) === 0 ? { servername: host } : {}) });
    secure.on('data', (bytes) => driver.parse(bytes));
    secure.on('error', (error) => console.error(`TLS: ${error.message}`));
    secure.on('close', () => driver.transportClosed());
    transport = secure;
  }
  // The handshake goes out now, inside the tunnel (and inside TLS).
  driver.start();
});

proxy.on('error', (error) => {
  console.error(`proxy: ${error.message}`);
  if (proxy.statusCode !== null) console.error(proxy.statusCode, proxy.headers);
  tcp.destroy();
});

tcp.on('error', (error) => console.error(`TCP: ${error.message}`));
tcp.on('close', () => driver.transportClosed());

driver.on('error', (error) => console.error(`WebSocket: ${error.message}`));
driver.on('open', () => driver.text('Hello through the proxy'));
driver.on('message', ({ data }) => {
  console.log('received:', data);
  driver.close();
});
driver.on('close', ({ code, reason }) => {
  console.log(`closed: ${code} ${reason}`);
  transport.end();
  process.exitCode = code === 1000 ? 0 : 1;
});

tcp.connect(proxy.port, proxy.host);
proxy.start();
