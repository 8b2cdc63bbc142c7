// Cloudflare workerd: a Worker's test() handler opens TCP (or TLS) with
// connect() from cloudflare:sockets and runs a client through
// wsdriver/streams. Bundled with esbuild first, as wrangler does; run with
// `workerd test` and a config giving PEER_PORT and MODE (tcp | tls).
import { connect } from 'cloudflare:sockets';
import { Driver, maskingImplementation } from 'wsdriver';
import { runOverStreams } from 'wsdriver/streams';
import { runClientScenario } from './scenario.js';

export default {
  async test(_controller, env) {
    const port = Number(env.PEER_PORT);
    const secure = env.MODE === 'tls';
    const socket = connect({ hostname: secure ? 'localhost' : '127.0.0.1', port }, { secureTransport: secure ? 'on' : 'off' });
    const url = `${secure ? 'wss' : 'ws'}://localhost:${port}/`;
    const { driver, done } = runOverStreams(socket, (s) => Driver.client(s), { url });
    const errorEvents = [];
    driver.on('error', (error) => errorEvents.push({ code: error.code, message: error.message, closeCode: error.closeCode, ...(error.cause ? { cause: String(error.cause) } : {}) }));
    const report = runClientScenario(driver, 'workerd');
    driver.start();
    const result = await report;
    await done;
    console.log('REPORT ' + JSON.stringify({ ...result, errorEvents, masking: maskingImplementation() }));
  },
};
