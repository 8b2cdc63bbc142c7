// Bun: a server over Bun.listen (wsdriver/sockets) that pauses delivery as
// soon as it opens, for 1.5 s, then reads everything; reports what Bun
// delivered to data() while paused and what arrived in the end.
// bun bun-paused-server.ts <messages expected>
import { Driver, type HttpServerDriver } from 'wsdriver';
import { runOverHandlerSocket, type HandlerSocketConnection } from 'wsdriver/sockets';

const expected = Number(process.argv[2]);
let bytesWhilePaused = 0;
let messages = 0;
let bytes = 0;
const errors: string[] = [];
const done = Promise.withResolvers<void>();
const listener = Bun.listen<HandlerSocketConnection<HttpServerDriver>>({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    open(socket) {
      socket.data = runOverHandlerSocket(socket, (s) => Driver.server(s));
      const { driver } = socket.data;
      driver.on('connect', () => driver.start());
      driver.on('error', (error) => errors.push(error.message));
      driver.on('open', () => {
        driver.pause();
        console.log('PAUSED 1');
        setTimeout(() => {
          console.log('RESUMING 1');
          driver.resume();
        }, 1500);
      });
      driver.on('message', (event) => {
        messages++;
        bytes += (event.data as Uint8Array).length;
        if (messages === expected) done.resolve();
      });
      driver.on('close', () => done.resolve());
    },
    data: (socket, chunk) => {
      if (socket.data.driver.isPaused) bytesWhilePaused += chunk.length;
      socket.data.data(chunk);
    },
    drain: (socket) => socket.data.drain(),
    close: (socket, error) => socket.data.closed(error),
  },
});
console.log(`LISTENING ${listener.port}`);
await done.promise;
listener.stop(true);
console.log('REPORT ' + JSON.stringify({ bytesWhilePaused, messages, bytes, errors }));
process.exit(0);
