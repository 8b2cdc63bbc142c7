// Bun: a server over Bun.listen's handler-style sockets, through wsdriver/sockets; serves one connection.
// bun bun-server.ts
import { Driver, type HttpServerDriver } from 'wsdriver';
import { runOverHandlerSocket, type HandlerSocketConnection } from 'wsdriver/sockets';
import { serveScenario, type ServerReport } from './scenario.js';

const served = Promise.withResolvers<ServerReport>();
const listener = Bun.listen<HandlerSocketConnection<HttpServerDriver>>({
  hostname: '127.0.0.1',
  port: 0,
  socket: {
    open(socket) {
      socket.data = runOverHandlerSocket(socket, (s) => Driver.server(s));
      const { driver } = socket.data;
      driver.on('connect', () => driver.start());
      serveScenario(driver, 'Bun').then(served.resolve);
    },
    data: (socket, bytes) => socket.data.data(bytes),
    drain: (socket) => socket.data.drain(),
    close: (socket, error) => socket.data.closed(error),
  },
});
console.log(`LISTENING ${listener.port}`);
const report = await served.promise;
listener.stop();
console.log('REPORT ' + JSON.stringify(report));
