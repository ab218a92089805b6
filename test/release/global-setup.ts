// Packs the public packages once for every file of the release run: what `npm run pack` writes,
// from what `tsc -b` built (incremental, so a fresh build costs nothing more).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packedDir, packPublicPackages } from '../../scripts/lib/pack.mjs';
import { root } from '../../scripts/lib/pnpm.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Tarball path by package name. */
    tarballs: Record<string, string>;
  }
}

export default function setup(project: TestProject) {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], {
    cwd: root,
    stdio: 'inherit',
  });
  project.provide('tarballs', packPublicPackages(packedDir));
}
