// The reliability run (load, faults, fuzz, scan): its own vitest run after the main one, so the
// load is not shared with the other suites and its figures mean something. `npm test` runs it
// with the short profile, `npm run test:load` with the full one (see settings.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  resolve: base.resolve,
  test: {
    include: ['test/load/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'test/scan/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['scripts/reliability/global-setup.ts'],
    // One file at a time: the load figures and the outage timings assume nothing else runs.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
