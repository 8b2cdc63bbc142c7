import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'fuzz/**/*.test.ts'],
    // Child processes rather than worker threads: some tests start real peers
    // (ws, websocket-driver, Python websockets, tinyproxy, Chromium) and a crash
    // in one should not take the others down.
    pool: 'forks',
    // Generous: some tests talk to real peers over loopback.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts'],
      reportsDirectory: 'coverage',
    },
  },
});
