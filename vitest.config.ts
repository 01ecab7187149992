import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn real processes and servers; two cores are the CI budget.
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
