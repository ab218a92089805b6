import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@connect-jwt/core';
import * as adapterKit from '@connect-jwt/core/adapter';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const staticImports = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map(
    (match) => match[1] as string,
  );
  const dynamic = [...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => match[1] as string);
  return [...staticImports, ...dynamic];
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for node: and relative imports. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Every package a manifest lets its code import: its own name and what it declares. */
function declared(manifestPath: string): Set<string> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  return new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
}

describe('core has a front door and a service door', () => {
  it('no domain module imports the HTTP mapping (src/http)', () => {
    const coreSrc = join(root, 'packages/core/src');
    const offenders = sourceFiles(coreSrc)
      .filter((file) => !relative(coreSrc, file).startsWith('http/'))
      .flatMap((file) =>
        importsOf(file)
          .filter((target) => /(^|\/)http\//.test(target))
          .map((target) => `${relative(root, file)} -> ${target}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the adapters import core only through its main entry and @connect-jwt/core/adapter', () => {
    const offenders = ['express', 'koa', 'fastify'].flatMap((name) =>
      sourceFiles(join(root, 'packages', name, 'src')).flatMap((file) =>
        importsOf(file)
          .filter((target) => target.startsWith('@connect-jwt/'))
          .filter((target) => target !== '@connect-jwt/core' && target !== '@connect-jwt/core/adapter')
          .map((target) => `${relative(root, file)} -> ${target}`),
      ),
    );
    expect(offenders).toEqual([]);
  });

  it('the main entry does not export the adapter kit', () => {
    const both = Object.keys(adapterKit).filter((name) => name in core);
    expect(both).toEqual([]);
  });
});

describe('dependencies point one way', () => {
  const manifests = readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
    .map(({ dir, manifest }) => ({
      dir,
      name: manifest.name as string,
      deps: Object.keys(manifest.dependencies ?? {}),
    }));
  /** The packages that depend on `name` at run time, directly or through others. */
  function dependentsOf(name: string, seen = new Set<string>()): Set<string> {
    for (const other of manifests) {
      if (other.deps.includes(name) && !seen.has(other.name)) {
        seen.add(other.name);
        dependentsOf(other.name, seen);
      }
    }
    return seen;
  }

  it('no package names, as a module to load, a package that depends on it', () => {
    // A specifier as a whole string literal is what a by-name import(), require or resolve takes.
    const offenders = manifests.flatMap(({ dir, name }) => {
      const dependents = dependentsOf(name);
      return sourceFiles(join(root, 'packages', dir, 'src')).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/['"`](@connect-jwt\/[a-z0-9-]+)(?:\/[^'"`]*)?['"`]/g)]
          .map((match) => match[1] as string)
          .filter((specifier) => dependents.has(specifier))
          .map((specifier) => `${relative(root, file)} -> ${specifier}`),
      );
    });
    expect(offenders).toEqual([]);
  });
});

describe('every package declares what its sources and tests import', () => {
  // vitest is the repository's test runner (the root's), like the TypeScript compiler.
  const runner = new Set(['vitest']);
  const workspaces = ['packages', 'examples'].flatMap((parent) =>
    readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, parent, entry.name)),
  );

  it.each(workspaces.map((dir) => [relative(root, dir), dir]))('%s', (_name, dir) => {
    const allowed = declared(join(dir, 'package.json'));
    const files = ['src', 'test'].flatMap((sub) => {
      try {
        return sourceFiles(join(dir, sub));
      } catch {
        return [];
      }
    });
    const undeclared = files.flatMap((file) =>
      importsOf(file)
        .map(packageOf)
        .filter((name): name is string => name !== undefined && !allowed.has(name) && !runner.has(name))
        .map((name) => `${relative(root, file)} -> ${name}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('test/, the cross-package tests (with the root tooling)', () => {
    const allowed = new Set([...declared(join(root, 'test/package.json')), ...declared(join(root, 'package.json'))]);
    const undeclared = sourceFiles(join(root, 'test')).flatMap((file) =>
      importsOf(file)
        .map(packageOf)
        .filter((name): name is string => name !== undefined && !allowed.has(name) && !runner.has(name))
        .map((name) => `${relative(root, file)} -> ${name}`),
    );
    expect(undeclared).toEqual([]);
  });
});
