// The `npm start` demo: an echo server on 127.0.0.1:8080 (PORT to change),
// built on Driver.server over node:net. A browser's WebSocket or a `ws`
// client can talk to it; a plain GET gets a small page that does.
import net from 'node:net';
import { Driver, type HttpServerDriver } from 'wsdriver';
import { attach, streamSocket } from 'wsdriver/node';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>wsdriver echo</title>
<h1>wsdriver echo</h1>
<form id="form"><input id="text" value="hello" autofocus> <button>Send</button></form>
<pre id="log"></pre>
<script>
  const log = (line) => (document.getElementById('log').textContent += line + '\\n');
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/');
  ws.onopen = () => log('open');
  ws.onmessage = (event) => log('< ' + event.data);
  ws.onclose = (event) => log('closed ' + event.code + ' ' + event.reason);
  document.getElementById('form').onsubmit = (event) => {
    event.preventDefault();
    const text = document.getElementById('text').value;
    ws.send(text);
    log('> ' + text);
  };
</script>
`;

const open = new Set<HttpServerDriver>();

const server = net.createServer((tcp) => {
  const driver = attach(Driver.server(streamSocket(tcp)), tcp);

  driver.on('connect', () => {
    if (Driver.isWebSocket(driver.env!)) {
      driver.start();
      return;
    }
    // Not a WebSocket request: answer with the page and end the connection.
    const body = Buffer.from(PAGE);
    tcp.end(
      'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${PAGE}`,
    );
  });
  driver.on('open', () => open.add(driver));
  driver.on('message', (event) => {
    if (typeof event.data === 'string') driver.text(event.data);
    else driver.binary(event.data);
  });
  driver.on('close', () => open.delete(driver));
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(`wsdriver echo server on ws://127.0.0.1:${port}/ (open http://127.0.0.1:${port}/ in a browser)`);
});

// Ctrl-C: say goodbye to every client (1001), then stop.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const driver of open) driver.close(1001, 'server shutting down');
    server.close();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
