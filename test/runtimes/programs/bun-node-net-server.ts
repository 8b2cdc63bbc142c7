// Bun: a server over node:net through wsdriver/node (attach + streamSocket), as in Node; serves one connection.
// bun bun-node-net-server.ts
import net from 'node:net';
import { Driver } from 'wsdriver';
import { attach, streamSocket } from 'wsdriver/node';
import { serveScenario, type ServerReport } from './scenario.js';

const served = Promise.withResolvers<ServerReport>();
const server = net.createServer((tcp) => {
  const driver = attach(Driver.server(streamSocket(tcp)), tcp);
  driver.on('connect', () => driver.start());
  serveScenario(driver, 'Bun node:net').then(served.resolve);
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${(server.address() as net.AddressInfo).port}`));
const report = await served.promise;
server.close();
console.log('REPORT ' + JSON.stringify(report));
