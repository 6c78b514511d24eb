/**
 * The browser end-to-end suite (`npm run e2e`): a real server on a free port with a fresh
 * embedded database, driven through Debian's Chromium by playwright-core. One file, in order.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/**/*.e2e.ts'],
    fileParallelism: false,
    // Not a performance limit: a guard so a hung browser fails the run instead of stalling CI.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
