// The release run: the packed tarballs (contents, publint, attw), a consumer project outside the
// repository that installs them with plain npm, and the lint. Its own run because it tests the
// build output (dist/, packed/), not the sources the main run aliases.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    include: ['test/release/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['test/release/global-setup.ts'],
    // npm installs from the registry (a cold cache takes a while) and attw loads TypeScript per tarball.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
