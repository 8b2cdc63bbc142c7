// A WebSocket client over a plain TCP socket: the driver writes the
// handshake and frames; the socket's bytes go back through parse().
// Run: npx tsx examples/client-net.ts [ws://127.0.0.1:8080/]
import net from 'node:net';
import { Driver } from 'wsdriver';
import { attach, streamSocket } from 'wsdriver/node';

const url = new URL(process.argv[2] ?? 'ws://127.0.0.1:8080/');
const tcp = net.connect(Number(url.port || 80), url.hostname);
const driver = attach(Driver.client(streamSocket(tcp, { url }), { protocols: ['chat'] }), tcp);

tcp.on('connect', () => driver.start());
driver.on('open', () => {
  console.log('open, subprotocol:', driver.protocol);
  driver.text('hello from wsdriver');
});
driver.on('message', (event) => {
  console.log('received:', event.data);
  driver.close(1000, 'done');
});
driver.on('error', (error) => console.error(error.code, error.message));
driver.on('close', (event) => console.log('closed', event.code, event.reason));
