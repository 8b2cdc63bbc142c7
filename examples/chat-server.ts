// A chat server declared once with WebSocketServer: the path, a token check
// that refuses with 401, the subprotocol, compression, and a handler made
// per connection (its own state, no lookup table). Run:
// npx tsx examples/chat-server.ts (PORT to change); connect to
// ws://127.0.0.1:8080/chat?name=ada with the header `Authorization: Bearer secret`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'wsdriver/node';

const server = http.createServer((request, response) => response.end('try a WebSocket at /chat\n'));

const chat = new WebSocketServer({
  path: '/chat',
  perMessageDeflate: true,
  maxLength: 64 * 1024,
  verify: (request) =>
    request.headers['authorization'] === 'Bearer secret' || { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
  handleProtocols: (offers) => (offers.includes('chat.v1') ? 'chat.v1' : null),
  handler: (_driver, request) => {
    const name = new URLSearchParams(request.target.split('?')[1]).get('name') ?? 'someone';
    return {
      onOpen: (client) => client.write(`welcome, ${name}`),
      onMessage: (_client, data) => {
        for (const member of chat.clients) member.text(`${name}: ${String(data)}`);
      },
      onShutdown: (client) => client.write('the server is restarting'),
    };
  },
});
chat.serve(server);

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on ws://127.0.0.1:${port}/chat`);
});

// Ctrl-C: every client hears onShutdown, then 1001; stragglers are dropped after 5 s.
process.once('SIGINT', async () => {
  await chat.close(1001, 'restarting', { timeout: 5000 });
  server.close();
});
