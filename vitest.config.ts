import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * Three projects: everything against real PostgreSQL (each test file in its own database cloned
 * from a migrated template), the API suite once more on embedded PGlite, and the web app's
 * component tests in happy-dom. (The browser end-to-end suite has its own config: e2e/.)
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
      {
        plugins: [react()],
        test: {
          name: 'web',
          include: ['web/src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          setupFiles: ['web/src/test/setup.ts'],
        },
      },
    ],
  },
});
