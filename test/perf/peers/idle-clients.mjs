// Idle WebSocket clients for the heap-per-connection tests, in their own
// process so their sockets do not count in the measured one.
// Usage: node idle-clients.mjs PORT COUNT
// Opens COUNT connections (50 at a time), completes each handshake, then
// prints "held" and keeps them open, reading nothing, until it is killed.
import net from 'node:net';

const [port, count] = [Number(process.argv[2]), Number(process.argv[3])];
const request =
  'GET /idle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`not upgraded: ${head.split('\r\n')[0]}`));
      else resolve();
    };
    socket.on('data', onData);
    socket.on('error', reject);
    sockets.push(socket);
  });
}

let started = 0;
async function worker() {
  while (started < count) {
    started++;
    await open();
  }
}
await Promise.all(Array.from({ length: 50 }, worker));
console.log('held');
setInterval(() => {}, 1 << 30);
