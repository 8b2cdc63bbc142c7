// Bun: a client over node:net through wsdriver/node (connect()), as in Node.
// bun bun-node-net.ts PORT
import { maskingImplementation } from 'wsdriver';
import { connect } from 'wsdriver/node';
import { runClientScenario } from './scenario.js';

const port = Number(process.argv[2]);
const driver = connect(`ws://127.0.0.1:${port}/`);
const report = await runClientScenario(driver, 'Bun node:net');
console.log('REPORT ' + JSON.stringify({ ...report, masking: maskingImplementation() }));
