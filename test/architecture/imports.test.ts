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
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((match) => match[1] as string);
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
