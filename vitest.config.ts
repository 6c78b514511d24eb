import { defineConfig } from 'vitest/config';

/**
 * Two projects: everything against real PostgreSQL (each test file in its own database cloned
 * from a migrated template), and the API suite once more on embedded PGlite.
 */
export default defineConfig({
  test: {
    coverage: {
      provider: 'v8',
      include: ['server/src/**/*.ts', 'contract/src/**/*.ts'],
      exclude: ['server/src/main.ts', '**/*.test.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
    },
    projects: [
      {
        test: {
          name: 'postgres',
          include: ['server/**/*.test.ts', 'scripts/**/*.test.ts'],
          globalSetup: ['server/test/global-setup.ts'],
          env: { TEST_DATABASE: 'postgres' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'pglite',
          include: ['server/src/features/**/*.test.ts', 'server/test/api/**/*.test.ts'],
          env: { TEST_DATABASE: 'pglite' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
