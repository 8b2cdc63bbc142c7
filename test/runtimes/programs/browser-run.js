// Runs the scenario over an in-memory pair and says where it ran and
// whether WebAssembly could be compiled there.
import { pairInMemory, runClientScenario, serveScenario } from './scenario.js';

export async function runBrowserScenario(Driver, maskingImplementation, where) {
  const { client, server } = pairInMemory(Driver);
  const served = serveScenario(server, where);
  const report = runClientScenario(client, where);
  client.start();
  let wasmCompiles;
  try {
    new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0));
    wasmCompiles = true;
  } catch {
    wasmCompiles = false;
  }
  return { where, client: await report, server: await served, masking: maskingImplementation(), wasmCompiles };
}
