// The browser run: Chromium driving the examples and the testing kit's host page. It runs in its
// own process inside a network namespace that has only loopback (scripts/run.mjs puts it there),
// so nothing it starts, Chromium included, can reach past 127.0.0.1; Redis and Postgres are not
// reachable from in there either, so these tests keep installations in SQLite or memory.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  resolve: base.resolve,
  test: {
    include: ['test/browser/**/*.test.ts', 'packages/*/test/browser/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // One Chromium at a time on a shared machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
