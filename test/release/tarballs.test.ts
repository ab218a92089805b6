// What `npm run pack` produces, checked tarball by tarball: the files a user gets, a manifest npm
// can install and the registry accepts, and the packaging linters (publint, attw) on the tarball
// itself rather than on the workspace folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { root } from '../../scripts/lib/pnpm.mjs';

const tarballs = inject('tarballs');
const names = Object.keys(tarballs).sort();
const unpackDir = mkdtempSync(join(tmpdir(), 'connect-jwt-tarballs-'));
afterAll(() => rmSync(unpackDir, { recursive: true, force: true }));

interface Manifest {
  name: string;
  version: string;
  license?: string;
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  repository?: { type: string; url: string; directory: string };
  keywords?: string[];
  sideEffects?: boolean | string[];
  publishConfig?: { access?: string };
  engines?: { node?: string };
  [field: string]: unknown;
}

function unpack(name: string): { dir: string; files: string[]; manifest: Manifest; raw: string } {
  const dir = join(unpackDir, name.replace('/', '__'));
  if (!existsSync(dir)) {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-xzf', tarballs[name] as string, '-C', dir]);
  }
  const packageDir = join(dir, 'package');
  const files = listFiles(packageDir).map((file) => relative(packageDir, file));
  const raw = readFileSync(join(packageDir, 'package.json'), 'utf8');
  return { dir: packageDir, files, manifest: JSON.parse(raw) as Manifest, raw };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Runs a linter binary of the repository; its exit code and what it printed. */
function lint(bin: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(join(root, 'node_modules/.bin', bin), args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run pack', () => {
  it('writes one tarball per public package, all at one version', () => {
    expect(names).toEqual([
      '@connect-jwt/ace-import',
      '@connect-jwt/core',
      '@connect-jwt/express',
      '@connect-jwt/fastify',
      '@connect-jwt/koa',
      '@connect-jwt/store-postgres',
      '@connect-jwt/store-redis',
      '@connect-jwt/store-sqlite',
      '@connect-jwt/store-url',
      '@connect-jwt/testing',
    ]);
    const versions = new Set(names.map((name) => unpack(name).manifest.version));
    expect(versions.size).toBe(1);
  });

  it('keeps them at one version from release to release: one changesets fixed group holds them all', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8')) as { fixed: string[][] };
    expect(config.fixed).toHaveLength(1);
    expect([...(config.fixed[0] ?? [])].sort()).toEqual(names);
  });
});

describe.each(names)('%s tarball', (name) => {
  it('ships dist, src, README.md, CHANGELOG.md and the root LICENSE, and no tests', () => {
    const { dir, files } = unpack(name);
    for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      expect(files).toContain(file);
    }
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    const unexpected = files.filter(
      (file) =>
        !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE|(dist|src)\/.+)$/.test(file) ||
        /(^|\/)(test|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$|\.tsbuildinfo$/.test(file),
    );
    expect(unexpected).toEqual([]);
    const orphans = files
      .filter((file) => file.startsWith('dist/'))
      .map((file) => `src/${file.slice(5).replace(/\.(d\.ts|js)(\.map)?$/, '')}.ts`)
      .filter((source) => !files.includes(source));
    expect(orphans, 'dist/ output without a source').toEqual([]);
  });

  it('has a manifest npm installs and the registry publishes: no workspace: range, every publish field', () => {
    const { manifest, raw } = unpack(name);
    expect(raw).not.toContain('workspace:');
    const internal = Object.entries({ ...(manifest.dependencies as Record<string, string> | undefined) }).filter(
      ([dependency]) => dependency.startsWith('@connect-jwt/'),
    );
    for (const [, range] of internal) expect(range).toBe(`^${manifest.version}`);
    expect(manifest).toMatchObject({
      license: 'MIT',
      type: 'module',
      sideEffects: expect.anything(),
      publishConfig: { access: 'public' },
      engines: { node: '>=20.19' },
      repository: { type: 'git', directory: `packages/${name.split('/')[1]}` },
    });
    expect(manifest.private).toBeUndefined();
    expect(manifest.keywords).toEqual(expect.arrayContaining(['atlassian-connect', 'jwt']));
  });

  it('points every export at a file it ships, with types first', () => {
    const { manifest, files } = unpack(name);
    const entries = Object.entries(manifest.exports ?? {}).filter(([subpath]) => subpath !== './package.json');
    expect(entries.length).toBeGreaterThan(0);
    for (const [subpath, target] of entries) {
      expect(typeof target, subpath).toBe('object');
      const conditions = target as Record<string, string>;
      expect(Object.keys(conditions)[0], subpath).toBe('types');
      for (const file of Object.values(conditions)) expect(files, `${subpath}: ${file}`).toContain(file.slice(2));
    }
  });

  it('passes publint --strict', () => {
    const { status, output } = lint('publint', ['run', tarballs[name] as string, '--strict']);
    expect(output).toContain('All good!');
    expect(status).toBe(0);
  });

  // cjs-resolves-to-esm: attw's TypeScript predates require(esm); Node 20.19+ (the engines floor)
  // loads these ESM packages with require(), which the consumer test proves on a CommonJS app.
  it('passes @arethetypeswrong/cli for every entry point', () => {
    const { status, output } = lint('attw', [
      tarballs[name] as string,
      '--ignore-rules',
      'cjs-resolves-to-esm',
      '--format',
      'table-flipped',
    ]);
    expect(output, output).not.toMatch(/❌|⚠️|💀|🐛|🚭|🥴|❗️|🎭/u);
    expect(status, output).toBe(0);
  });
});
