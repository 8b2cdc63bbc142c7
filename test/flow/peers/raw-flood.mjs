// A hostile peer for the memory tests, in its own process so its buffers
// do not count in the measured one. Usage: node raw-flood.mjs PORT MODE MiB
//   MODE binary: completes the handshake, then sends masked 64 KiB binary frames
//   MODE ping:   completes the handshake, then sends masked 125-byte pings
// It never reads after the handshake. Every 50 ms it prints the bytes the
// kernel has accepted so far; it prints "done" after MiB mebibytes.
import net from 'node:net';

const [port, mode, mib] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
const target = mib * 1024 * 1024;

function maskedFrame(opcode, length) {
  const header = length < 126 ? 2 : 4;
  const frame = Buffer.alloc(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  }
  // Mask key 0: the payload (zeros) is sent as is.
  return frame;
}

const frame = mode === 'ping' ? maskedFrame(0x9, 125) : maskedFrame(0x2, 60 * 1024);
const pings = mode === 'ping' ? Buffer.concat(Array.from({ length: 512 }, () => frame)) : frame;

const socket = net.connect(port, '127.0.0.1', () => {
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
});
let head = Buffer.alloc(0);
socket.on('data', function onData(chunk) {
  head = Buffer.concat([head, chunk]);
  if (!head.includes('\r\n\r\n')) return;
  socket.off('data', onData);
  // Never read again: what the server sends piles up in its buffers, or not.
  socket.pause();
  pump();
});
socket.on('error', () => process.exit(0));
socket.on('close', () => {
  console.log('closed');
  process.exit(0);
});

let queued = 0;
function pump() {
  while (queued < target) {
    queued += pings.length;
    if (!socket.write(pings)) {
      socket.once('drain', pump);
      return;
    }
  }
  socket.end();
  console.log('done');
}
setInterval(() => console.log(String(socket.bytesWritten)), 50).unref();
