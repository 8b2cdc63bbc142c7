// Deno: a client over Deno.connect or Deno.connectTls, through wsdriver/streams.
// deno run --allow-net --allow-read deno-client.ts tcp|tls PORT [CA_FILE]
import { Driver, maskingImplementation } from 'wsdriver';
import { runOverStreams } from 'wsdriver/streams';
import { runClientScenario } from './scenario.js';

const [mode, portText, caFile] = Deno.args;
const port = Number(portText);
const conn =
  mode === 'tls'
    ? await Deno.connectTls({ hostname: 'localhost', port, caCerts: caFile ? [await Deno.readTextFile(caFile)] : [] })
    : await Deno.connect({ hostname: '127.0.0.1', port });
const url = `${mode === 'tls' ? 'wss' : 'ws'}://localhost:${port}/`;

const { driver, done } = runOverStreams(conn, (socket) => Driver.client(socket), { url });
const errors: Array<{ code: string; message: string; closeCode: number; cause?: string }> = [];
driver.on('error', (error) => {
  const cause = (error as { cause?: unknown }).cause;
  errors.push({ code: error.code, message: error.message, closeCode: error.closeCode, ...(cause ? { cause: String(cause) } : {}) });
});
const report = runClientScenario(driver, 'Deno');
driver.start();
const result = await report;
await done;
console.log('REPORT ' + JSON.stringify({ ...result, errorEvents: errors, masking: maskingImplementation() }));
