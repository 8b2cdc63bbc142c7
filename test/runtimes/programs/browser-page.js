// A page's module script: runs the scenario in the page, then in a module Worker.
import { run } from './browser-scenario.js';

const inWorker = new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (event) => resolve(event.data);
  worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
});
globalThis.report = Promise.all([run('page'), inWorker]);
