// Biome over the whole repository, counted with the tests so CI fails on lint too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from '../../scripts/lib/pnpm.mjs';

it('biome check finds nothing to fix', () => {
  const result = spawnSync(join(root, 'node_modules/.bin/biome'), ['check', '.'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, output).toBe(0);
});
