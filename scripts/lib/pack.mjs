// One installable tarball per public package. `pnpm pack` (not `npm pack`) because it rewrites the
// `workspace:*` ranges into the packages' versions, which plain npm could not install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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
 * Deletes what tsc once emitted into dist/ for a source file that no longer exists (a moved or
 * removed module): `tsc -b` never deletes output, and `files: ["dist"]` would ship it.
 */
function pruneStaleOutput(packageDir) {
  const dist = join(packageDir, 'dist');
  const walk = (dir) =>
    readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  if (!existsSync(dist)) return;
  for (const file of walk(dist)) {
    const stem = relative(dist, file).replace(/\.(d\.ts|js)(\.map)?$/, '');
    if (!existsSync(join(packageDir, 'src', `${stem}.ts`))) rmSync(file);
  }
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
    pruneStaleOutput(dir);
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

/**
 * For each package, the tarballs an install by path needs: the package's and those of every
 * `@connect-jwt/*` package it depends on, transitively. A missing sibling is looked up on the
 * registry instead, which answers 404 until a release is published.
 */
export function installByPathLines(tarballs, from = process.cwd()) {
  const manifests = new Map(publicPackages().map(({ manifest }) => [manifest.name, manifest]));
  // Optional peers (ace-import's stores) are the user's choice, not something npm would fetch.
  const siblingsOf = (name) => {
    const manifest = manifests.get(name) ?? {};
    const optional = manifest.peerDependenciesMeta ?? {};
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter((dep) => !optional[dep]?.optional);
    return [...Object.keys(manifest.dependencies ?? {}), ...peers].filter((dep) => manifests.has(dep));
  };
  const lines = {};
  for (const name of Object.keys(tarballs)) {
    const needed = new Set();
    const visit = (current) => {
      if (needed.has(current)) return;
      needed.add(current);
      for (const dep of siblingsOf(current)) visit(dep);
    };
    visit(name);
    const files = [...needed].sort().map((dep) => relative(from, tarballs[dep]));
    lines[name] = `npm install ${files.join(' ')}`;
  }
  return lines;
}
