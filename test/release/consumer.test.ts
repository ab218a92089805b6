// Proven from outside the workspace: a project in a temporary directory installs the packed
// tarballs with plain npm, compiles the README's snippets against them under a user's strictest
// settings, runs an ES module and a CommonJS add-on through the fake product, and runs the CLI as
// the README says. A second project does the same on the oldest Express and Koa the peer ranges claim.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createQueryStringHash, fromMethodAndUrl } from 'atlassian-jwt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { root } from '../../scripts/lib/pnpm.mjs';
import { type ConsumerProject, installConsumerProject } from './consumer-project.ts';
import { publicReadmes, readmeBlocks, writeReadmePrograms } from './readme-snippets.ts';

const tarballs = inject('tarballs');
const fixtures = join(root, 'test/release/fixtures');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** The root README's marked snippets, which must exist (every ```ts block compiles); `testing` also runs. */
const CHECKED_SNIPPETS = [
  'express',
  'koa',
  'fastify',
  'stores',
  'key-rotation',
  'shutdown',
  'lifecycle-enabled',
  'testing',
  'testing-forge',
  'forge-express',
  'forge-kind',
  'webhooks',
];

const STRICT_OPTIONS = {
  target: 'ES2022',
  module: 'nodenext',
  moduleResolution: 'nodenext',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  // TypeScript's default: every published .d.ts must type-check with only what the packages install.
  skipLibCheck: false,
  types: ['node'],
  // The test runners the testing README's blocks use come from the repository's own install; our
  // packages only ever from the tarballs.
  paths: {
    vitest: [join(root, 'node_modules/vitest/dist/index.d.ts')],
    'playwright-core': [join(root, 'node_modules/playwright-core/index.d.ts')],
  },
};

interface AppCheck {
  framework: string;
  withoutToken: { status: number; code: string };
  installStatus: number;
  iframe: { status: number; body: string };
  accountId: string;
}

/** Runs a fixture app inside the project; what it printed on its last line. */
function runCheck(project: ConsumerProject, fixture: string, args: string[] = []): AppCheck[] {
  for (const file of [fixture, 'probe.cjs']) copyFileSync(join(fixtures, file), join(project.dir, 'src', file));
  const { stdout } = project.run('node', [join('src', fixture), ...args], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as AppCheck[];
}

function expectAuthenticated(checks: AppCheck[], frameworks: string[]) {
  expect(checks.map((check) => check.framework)).toEqual(frameworks);
  for (const check of checks) {
    expect(check.withoutToken, check.framework).toEqual({ status: 401, code: 'ERR_TOKEN_MISSING' });
    expect(check.installStatus, check.framework).toBeGreaterThanOrEqual(200);
    expect(check.installStatus, check.framework).toBeLessThan(300);
    expect(check.iframe, check.framework).toEqual({ status: 200, body: `Hello ${check.accountId}` });
  }
}

function installedVersion(project: ConsumerProject, name: string): string {
  return (
    JSON.parse(readFileSync(join(project.dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

describe('a consumer project on the current frameworks', () => {
  let project: ConsumerProject;

  beforeAll(() => {
    project = installConsumerProject({
      name: 'consumer-current',
      tarballs,
      dependencies: {
        express: '^5.0.0',
        koa: '^3.0.0',
        '@koa/router': '^15.0.0',
        fastify: '^5.0.0',
        '@types/express': '^5.0.0',
        '@types/koa': '^3.0.0',
        '@types/node': '^20.19.0',
        // @types/koa imports `content-disposition` for its `Options` type, meaning koa's own ~1.0
        // (typed by @types/content-disposition); npm hoists Express 5's 2.x, whose bundled types
        // lack it, and skipLibCheck: false reports that. Pinning koa's version at the top is the
        // user's fix for a clash between third-party packages.
        'content-disposition': '~1.0.1',
      },
    });
  });
  afterAll(() => project?.remove());

  it('installs every tarball as a real folder, with one copy of core', () => {
    for (const name of Object.keys(tarballs)) {
      expect(existsSync(join(project.dir, 'node_modules', name, 'dist/index.js')), name).toBe(true);
      expect(existsSync(join(project.dir, 'node_modules', name, 'node_modules/@connect-jwt')), name).toBe(false);
    }
  });

  it("compiles every README's ```ts blocks under strict nodenext, exactOptionalPropertyTypes, noUncheckedIndexedAccess and skipLibCheck: false", () => {
    const blocks = publicReadmes(root).flatMap(({ readme, markdown }) => readmeBlocks(markdown, readme));
    expect(blocks.map((block) => block.name)).toEqual(expect.arrayContaining(CHECKED_SNIPPETS));
    expect(blocks.length).toBeGreaterThan(15);
    // One program for the blocks that augment nothing, one of its own for each that does.
    for (const tsconfig of writeReadmePrograms(project.dir, blocks, STRICT_OPTIONS)) {
      project.run('node', [tsc, '-p', tsconfig]);
    }
  });

  it("runs the README's Testing snippet as written", () => {
    expect(existsSync(join(project.dir, 'out/testing.js'))).toBe(true);
    project.run('node', ['out/testing.js'], { timeout: 60_000 });
  });

  it('an ES module add-on on Express, Koa and Fastify: 401 ERR_TOKEN_MISSING, then 200 after install and iframe load', () => {
    expectAuthenticated(runCheck(project, 'check-apps.mjs', ['express', 'koa', 'fastify']), [
      'express',
      'koa',
      'fastify',
    ]);
  });

  it('a CommonJS add-on loads the packages with require(): 401, then 200', () => {
    expectAuthenticated(runCheck(project, 'check-app.cjs'), ['express (require)']);
  });

  it('runs the CLI as the README documents: npx -p @connect-jwt/core connect-jwt', () => {
    const url = '/rest/api/3/search?jql=project%3DTEST';
    const { stdout } = project.run('npx', [
      '-p',
      '@connect-jwt/core',
      'connect-jwt',
      'qsh',
      '--method',
      'GET',
      '--url',
      url,
    ]);
    // The hash as the atlassian-jwt package computes it: proves the CLI ran is ours, not a namesake.
    expect(stdout).toContain(createQueryStringHash(fromMethodAndUrl('GET', url)));
  });

  it("runs the ACE import from @connect-jwt/ace-import's own bin; core's CLI only points there", () => {
    expect(project.run('npx', ['connect-jwt-import-ace', '--help']).stdout).toContain(
      'usage: npx @connect-jwt/ace-import --from <ACE store> --to <connect-jwt store>',
    );
    expect(() => project.run('npx', ['connect-jwt', 'import-ace', '--help'])).toThrow(
      /\(exit 2,[\s\S]*import-ace is the bin of @connect-jwt\/ace-import: npx @connect-jwt\/ace-import --help/,
    );
    // project.run throws on a non-zero exit, with the exit code and both outputs in the message.
    const unreachable = ['connect-jwt-import-ace', '--from', 'redis://127.0.0.1:1/0', '--to', 'sqlite:imported.sqlite'];
    expect(() => project.run('npx', unreachable)).toThrow(
      /\(exit 1,[\s\S]*connect-jwt-import-ace: cannot read the ACE store at redis:\/\/127\.0\.0\.1:1\/0: /,
    );
  });
});

describe('a consumer project on the oldest Express and Koa the peer ranges claim', () => {
  let project: ConsumerProject;

  beforeAll(() => {
    const { '@connect-jwt/core': core, '@connect-jwt/express': express, '@connect-jwt/koa': koa } = tarballs;
    const { '@connect-jwt/testing': testing } = tarballs;
    project = installConsumerProject({
      name: 'consumer-oldest',
      tarballs: {
        '@connect-jwt/core': core,
        '@connect-jwt/express': express,
        '@connect-jwt/koa': koa,
        '@connect-jwt/testing': testing,
      } as Record<string, string>,
      dependencies: { express: '~4.21.0', koa: '~2.15.0' },
    });
  });
  afterAll(() => project?.remove());

  it('installs Express 4.21 and Koa 2.15', () => {
    expect(installedVersion(project, 'express')).toMatch(/^4\.21\./);
    expect(installedVersion(project, 'koa')).toMatch(/^2\.15\./);
  });

  it('an Express 4 and a Koa 2 add-on: 401 ERR_TOKEN_MISSING, then 200 after install and iframe load', () => {
    expectAuthenticated(runCheck(project, 'check-apps.mjs', ['express', 'koa']), ['express', 'koa']);
  });
});
