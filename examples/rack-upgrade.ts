// The rack-style driver under node:http: the HTTP server parses the request,
// the driver takes over the socket. (handleUpgrade from wsdriver/node does
// these steps in one call.) Run: npx tsx examples/rack-upgrade.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Driver } from 'wsdriver';
import { attach, streamSocket } from 'wsdriver/node';

const server = http.createServer((request, response) => response.end('try a WebSocket\n'));

server.on('upgrade', (request: http.IncomingMessage, socket, head: Buffer) => {
  if (!Driver.isWebSocket(request)) {
    socket.destroy();
    return;
  }
  const driver = attach(Driver.rack(streamSocket(socket, { env: request })), socket);
  driver.on('message', (event) => {
    if (typeof event.data === 'string') driver.text(event.data);
    else driver.binary(event.data);
  });
  driver.parse(head); // bytes node:http read past the request head
  driver.start();
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on ws://127.0.0.1:${port}/`);
});
