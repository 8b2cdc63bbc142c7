/**
 * bench/e2e's idle row splits a server's CPU per accept into its main
 * thread's and the rest (bench/e2e/thread-cpu.ts): checked here on a
 * thread that works and one that does not, so the split cannot be a copy
 * of the process's total. The test must run on its process's main thread
 * (vitest's `forks` pool, vitest.config.ts).
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { mainThreadCpu } from '../../bench/e2e/thread-cpu.js';

const processCpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

describe.runIf(process.platform === 'linux')('the main thread’s CPU time', () => {
  it('counts the main thread’s own work', () => {
    const before = mainThreadCpu()!;
    const start = processCpu();
    while (processCpu() - start < 100_000) {
      // work on this thread until the process has spent 100 ms
    }
    expect(mainThreadCpu()! - before).toBeGreaterThan(80_000);
  });

  it('leaves out another thread’s work', async () => {
    const before = mainThreadCpu()!;
    const start = processCpu();
    // The worker works until the process as a whole has spent 200 ms more; this thread waits.
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const cpu = () => { const { user, system } = process.cpuUsage(); return user + system; };
       while (cpu() - workerData < 200000) {}`,
      { eval: true, workerData: start },
    );
    await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
    const spent = processCpu() - start;
    expect(spent).toBeGreaterThan(200_000);
    // Starting the worker costs this thread a little; its 200 ms are not counted.
    expect(mainThreadCpu()! - before).toBeLessThan(spent / 4);
  });
});
