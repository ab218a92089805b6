// One installable tarball per public package. `pnpm pack` (not `npm pack`) because it rewrites the
// `workspace:*` ranges into the packages' versions, which plain npm could not install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pnpmCommand, root } from './pnpm.mjs';

export const packedDir = join(root, 'packed');

/** The workspace packages meant for the registry: packages/* that are not `private`. */
export function publicPackages() {
  const packagesDir = join(root, 'packages');
  return readdirSync(packagesDir)
    .map((dir) => join(packagesDir, dir))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/**
 * Packs every public package (already built) into `destination`, emptied first so no tarball of an
 * older version lingers. Returns the tarball paths by package name.
 */
export function packPublicPackages(destination = packedDir) {
  rmSync(destination, { recursive: true, force: true });
  mkdirSync(destination, { recursive: true });
  const [pnpm, prefix] = pnpmCommand();
  const tarballs = {};
  for (const { dir, manifest } of publicPackages()) {
    const result = spawnSync(pnpm, [...prefix, 'pack', '--pack-destination', destination], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`pnpm pack failed in ${dir} (exit ${result.status}):\n${result.stdout}${result.stderr}`);
    }
    const file = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
    if (!existsSync(join(destination, file))) throw new Error(`pnpm pack in ${dir} did not write ${file}`);
    tarballs[manifest.name] = join(destination, file);
  }
  return tarballs;
}
