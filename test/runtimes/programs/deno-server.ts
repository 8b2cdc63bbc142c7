// Deno: a server over Deno.listen, through wsdriver/streams; serves one connection.
// deno run --allow-net --allow-read deno-server.ts
import { Driver } from 'wsdriver';
import { runOverStreams } from 'wsdriver/streams';
import { serveScenario } from './scenario.js';

const listener = Deno.listen({ hostname: '127.0.0.1', port: 0 });
console.log(`LISTENING ${(listener.addr as Deno.NetAddr).port}`);
const conn = await listener.accept();
const { driver, done } = runOverStreams(conn, (socket) => Driver.server(socket));
driver.on('connect', () => driver.start());
const report = await serveScenario(driver, 'Deno');
await done;
listener.close();
console.log('REPORT ' + JSON.stringify(report));
