// Bun: a client over Bun.connect's handler-style socket, through wsdriver/sockets.
// bun bun-client.ts PORT
import { Driver, maskingImplementation, type HybiClientDriver } from 'wsdriver';
import { runOverHandlerSocket, type HandlerSocketConnection } from 'wsdriver/sockets';
import { runClientScenario } from './scenario.js';

const port = Number(process.argv[2]);
let report: ReturnType<typeof runClientScenario> | undefined;
const opened = Promise.withResolvers<void>();

await Bun.connect<HandlerSocketConnection<HybiClientDriver>>({
  hostname: '127.0.0.1',
  port,
  socket: {
    open(socket) {
      socket.data = runOverHandlerSocket(socket, (s) => Driver.client(s), { url: `ws://127.0.0.1:${port}/` });
      report = runClientScenario(socket.data.driver, 'Bun');
      socket.data.driver.start();
      opened.resolve();
    },
    data: (socket, bytes) => socket.data.data(bytes),
    drain: (socket) => socket.data.drain(),
    close: (socket, error) => socket.data.closed(error),
    error: (_socket, error) => console.error(error),
  },
});
await opened.promise;
console.log('REPORT ' + JSON.stringify({ ...(await report!), masking: maskingImplementation() }));
