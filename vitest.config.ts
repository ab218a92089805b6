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

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // Load, faults, fuzz and scan have their own run (scripts/reliability/vitest.config.ts), and so
    // do the browser tests (test/browser/vitest.config.ts, inside a loopback-only network namespace)
    // and the packaging checks on the build output (test/release/vitest.config.ts).
    exclude: [
      '**/node_modules/**',
      'test/load/**',
      'test/faults/**',
      'test/fuzz/**',
      'test/scan/**',
      '**/test/browser/**',
      'test/release/**',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
