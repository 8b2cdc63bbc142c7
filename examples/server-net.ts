// A WebSocket server on a bare TCP server: Driver.server reads the HTTP
// request itself. Run: npx tsx examples/server-net.ts (PORT to change).
import net from 'node:net';
import { Driver } from 'wsdriver';
import { attach, streamSocket } from 'wsdriver/node';

const server = net.createServer((tcp) => {
  const driver = attach(Driver.server(streamSocket(tcp), { protocols: ['chat'] }), tcp);

  driver.on('connect', () => {
    if (Driver.isWebSocket(driver.env!)) driver.start();
    else driver.reject(426, 'This is a WebSocket server');
  });
  driver.on('message', (event) => {
    if (typeof event.data === 'string') driver.text(event.data);
    else driver.binary(event.data);
  });
  driver.on('close', (event) => console.log('closed', event.code, event.reason));
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(`listening on ws://127.0.0.1:${port}/`);
});
