// The in-memory exchange in a browser page or Worker: a client driver and a
// server driver joined in memory run the shared scenario. Imported by path
// (no bundler, no import map) as the README shows, or bundled by esbuild
// (browser-bundle-entry.js).
import { Driver, maskingImplementation } from './node_modules/wsdriver/dist/browser/index.js';
import { runBrowserScenario } from './browser-run.js';

export const run = (where) => runBrowserScenario(Driver, maskingImplementation, where);
