import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
// Tests run against the TypeScript sources, so `pnpm test:unit` needs no build step.
const alias = readdirSync(packagesDir).map((dir) => ({
  find: new RegExp(`^@connect-jwt/${dir}$`),
  replacement: `${packagesDir}${dir}/src/index.ts`,
}));
// Core's adapter kit, a subpath export.
alias.push({
  find: /^@connect-jwt\/core\/adapter$/,
  replacement: fileURLToPath(new URL('./packages/core/src/http/index.ts', import.meta.url)),
});
// Every error class, a subpath export.
alias.push({
  find: /^@connect-jwt\/core\/errors$/,
  replacement: fileURLToPath(new URL('./packages/core/src/errors.ts', import.meta.url)),
});
// Core's store kit, the subpath every store is built from.
alias.push({
  find: /^@connect-jwt\/core\/store-kit$/,
  replacement: fileURLToPath(new URL('./packages/core/src/store-kit/index.ts', import.meta.url)),
});
// What the example add-ons share, also from source.
alias.push({
  find: /^@connect-jwt\/example-shared$/,
  replacement: fileURLToPath(new URL('./examples/shared/src/index.ts', import.meta.url)),
});

// The one test configuration, four projects, each its own counted run in `npm test` (scripts/run.mjs
// picks one with `--project`; a bare `vitest run` would start the browser project outside its namespace):
//   main         unit, e2e, stores, fleet: against the sources
//   reliability  load, faults, fuzz, scan: after main, one file at a time, so the figures mean something;
//                short profile in `npm test`, full in `npm run test:load` (test/support/reliability/settings.ts)
//   browser      Chromium driving the examples and the testing kit's host page, started inside a network
//                namespace with only loopback up (scripts/run.mjs); Redis and Postgres are not reachable
//                from in there, so these tests keep installations in SQLite or memory
//   release      the packed tarballs (publint, attw), a consumer project outside the repository, the lint:
//                the build output, not the sources, so it does not take the aliases
const reliability = [
  'test/load/**/*.test.ts',
  'test/faults/**/*.test.ts',
  'test/fuzz/**/*.test.ts',
  'test/scan/**/*.test.ts',
];
const browser = ['test/browser/**/*.test.ts', 'packages/*/test/browser/**/*.test.ts'];
const release = ['test/release/**/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'main',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...reliability, ...browser, ...release],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'reliability',
          include: reliability,
          globalSetup: ['test/support/reliability/global-setup.ts'],
          // One file at a time: the load figures and the outage timings assume nothing else runs.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'browser',
          include: browser,
          // One Chromium at a time on a shared machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'release',
          include: release,
          globalSetup: ['test/release/global-setup.ts'],
          // npm installs from the registry (a cold cache takes a while) and attw loads TypeScript per tarball.
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
