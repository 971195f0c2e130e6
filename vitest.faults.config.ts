import { defineConfig } from 'vitest/config';

// The fault-injection suite (`npm run test:faults`): real worker processes, and scenarios that
// stop and restart the machine's Postgres and Redis, so its files never run side by side.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
