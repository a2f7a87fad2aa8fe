import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn real processes and open real SQLite files; two workers match the 2-core machines.
    maxWorkers: 2,
    // Throwaway PostgreSQL clusters for the PostgreSQL backend's tests (inject('pgUrl')).
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
