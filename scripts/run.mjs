#!/usr/bin/env node
// The README's commands (`npm start`, `npm test`, `npm run demo`, `npm run bench`, `npm run pack`) go
// through here so that a fresh clone with only Node.js and npm works: it fetches the pinned pnpm
// through npx when pnpm is not installed, installs from the lockfile, builds, then does the job.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installByPathLines, packedDir, packPublicPackages } from './lib/pack.mjs';
import { pnpmCommand, root } from './lib/pnpm.mjs';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function must(command, args, options) {
  const status = run(command, args, options);
  if (status !== 0) {
    console.error(`\n${command} ${args.join(' ')} failed (exit ${status})`);
    process.exit(status);
  }
}

const [pnpm, pnpmPrefix] = pnpmCommand();
const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' };
const pnpmRun = (args, options) => must(pnpm, [...pnpmPrefix, ...args], { env, ...options });

/** Install, then build what the job runs: `tsc -b` is incremental, so an up-to-date tree costs a second. */
/** What the test jobs need outside node_modules: Redis and PostgreSQL up, Chromium and `ip` installed. */
function setUpTestMachine({ services = true } = {}) {
  if (services) must('bash', [join(root, 'scripts/services.sh')]);
  must('bash', [join(root, 'scripts/browser-deps.sh')]);
}

function setUp({ typecheckTests = true } = {}) {
  pnpmRun(['install', '--frozen-lockfile']);
  pnpmRun(['exec', 'tsc', '-b']);
  // The tests' type-check (not incremental, most of a build's time) only where tests run.
  if (typecheckTests) {
    pnpmRun(['exec', 'tsc', '-p', 'tsconfig.tests.json']);
    // The adapters' Forge consumer checks: they declare the Forge kind of req.atlassian, which the other tests must not see.
    pnpmRun(['exec', 'tsc', '-p', 'tsconfig.forge-types.json']);
  }
}

/** The example EXAMPLE names (default express-addon); a name that is not one fails, listing them. */
function chooseExample() {
  const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'examples', entry.name, 'src/main.ts')))
    .map((entry) => entry.name)
    .sort();
  const example = process.env.EXAMPLE || 'express-addon';
  if (!examples.includes(example)) {
    console.error(`EXAMPLE=${example} is not an example; pick one of: ${examples.join(', ')}`);
    process.exit(2);
  }
  return example;
}

/**
 * A command run inside a new network namespace with nothing but loopback up: Chromium probes public
 * addresses on start even when it only talks to 127.0.0.1, and no test may send anything past
 * loopback. As root `unshare -n`; otherwise `-r` maps the user to root in a user namespace first.
 * Redis and Postgres on the host's 127.0.0.1 are not reachable from in there.
 */
function inLoopbackNamespace(command, args) {
  const flags = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n'];
  return ['unshare', [...flags, 'sh', '-c', 'ip link set lo up && exec "$@"', 'loopback-only', command, ...args]];
}

/** One vitest run with a JSON report; its counts (a run that fails without a count is one failure). */
function runVitest(resultsFile, args, { loopbackOnly = false } = {}) {
  const vitestArgs = ['run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`];
  // Inside the namespace vitest starts from its own file: pnpm (or npx fetching it) stays outside.
  const [command, commandArgs] = loopbackOnly
    ? inLoopbackNamespace(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), ...vitestArgs])
    : [pnpm, [...pnpmPrefix, 'exec', 'vitest', ...vitestArgs]];
  const status = run(command, commandArgs, { env });
  let passed = 0;
  let failed = 0;
  if (existsSync(resultsFile)) {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    passed = results.numPassedTests;
    failed =
      results.numFailedTests +
      (results.numFailedTestSuites > 0 && results.numFailedTests === 0 ? results.numFailedTestSuites : 0);
  } else failed = 1;
  if (status !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

/** Chromium driving the examples and the testing kit's host page, in a loopback-only namespace. */
function runBrowserTests(resultsFile, args) {
  return runVitest(resultsFile, ['--project', 'browser', ...args], { loopbackOnly: true });
}

const job = process.argv[2];
switch (job) {
  case 'start': {
    const example = chooseExample();
    setUp({ typecheckTests: false });
    // The add-on runs in this process, not below pnpm and another shell (and package.json `exec`s
    // this script): the SIGTERM or SIGINT npm forwards reaches the add-on's own shutdown handlers,
    // so no server outlives `npm start`.
    const exampleDir = join(root, 'examples', example);
    process.chdir(exampleDir);
    await import(pathToFileURL(join(exampleDir, 'dist/main.js')).href);
    break;
  }
  case 'test': {
    setUpTestMachine();
    setUp();
    const resultsDir = join(root, '.vitest-results');
    rmSync(resultsDir, { recursive: true, force: true });
    mkdirSync(resultsDir, { recursive: true });
    // The projects of vitest.config.ts, one counted run each.
    const main = runVitest(join(resultsDir, 'results.json'), ['--project', 'main']);
    // Load, faults, fuzz and scan run after the rest, alone on the machine, in the short profile.
    const reliability = runVitest(join(resultsDir, 'reliability.json'), ['--project', 'reliability']);
    const browser = runBrowserTests(join(resultsDir, 'browser.json'), []);
    // The tarballs (publint, attw), a consumer project outside the repository, and the lint.
    const release = runVitest(join(resultsDir, 'release.json'), ['--project', 'release']);
    const passed = main.passed + reliability.passed + browser.passed + release.passed;
    const failed = main.failed + reliability.failed + browser.failed + release.failed;
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exit(failed > 0 || passed === 0 ? 1 : 0);
    break;
  }
  case 'test:browser': {
    // The browser suite uses SQLite and memory stores only: no services needed.
    setUpTestMachine({ services: false });
    setUp();
    const resultsDir = join(root, '.vitest-results');
    mkdirSync(resultsDir, { recursive: true });
    const browser = runBrowserTests(join(resultsDir, 'browser.json'), process.argv.slice(3));
    console.log(`\n${browser.passed} passed, ${browser.failed} failed`);
    process.exit(browser.failed > 0 || browser.passed === 0 ? 1 : 0);
    break;
  }
  case 'test:load': {
    setUp();
    // The full profile (20 s per framework, 50 connections, longer outages and fuzz runs); it
    // rewrites docs/reliability.md with the figures.
    const status = run(
      pnpm,
      [...pnpmPrefix, 'exec', 'vitest', 'run', '--project', 'reliability', ...process.argv.slice(3)],
      {
        env: {
          ...env,
          RELIABILITY_PROFILE: process.env.RELIABILITY_PROFILE ?? 'full',
          RELIABILITY_DOC: process.env.RELIABILITY_DOC ?? 'docs/reliability.md',
        },
      },
    );
    process.exit(status);
    break;
  }
  case 'bench': {
    setUp();
    pnpmRun(['exec', 'tsx', 'bench/verify.bench.ts', ...process.argv.slice(3)]);
    // Forge Invocation Tokens: verifyForgeInvocation against an RS256 floor, jose and ACE's pattern.
    pnpmRun(['exec', 'tsx', 'bench/forge.bench.ts', ...process.argv.slice(3)]);
    // Outbound: productFetch as a user (cached token) against productFetch as the add-on; goal ≤ 5 µs added.
    pnpmRun(['exec', 'tsx', 'bench/outbound.bench.ts', ...process.argv.slice(3)]);
    // Then the same check with each store, bare and behind cachedStore.
    pnpmRun(['exec', 'tsx', '--tsconfig', 'bench/stores/tsconfig.json', 'bench/stores/run.ts']);
    break;
  }
  case 'bench:stores': {
    setUp();
    // Needs Redis and PostgreSQL (scripts/services.sh starts them).
    pnpmRun([
      'exec',
      'tsx',
      '--tsconfig',
      'bench/stores/tsconfig.json',
      'bench/stores/run.ts',
      ...process.argv.slice(3),
    ]);
    break;
  }
  case 'bench:fleet': {
    setUp();
    // Needs Redis and PostgreSQL (scripts/services.sh starts them); the Redis Cluster with REDIS_CLUSTER_URL.
    pnpmRun(['exec', 'tsx', '--tsconfig', 'bench/fleet/tsconfig.json', 'bench/fleet/run.ts', ...process.argv.slice(3)]);
    break;
  }
  case 'bench:http': {
    setUp();
    must(process.execPath, [join(root, 'bench/http/run.mjs'), ...process.argv.slice(3)], { env });
    break;
  }
  case 'demo': {
    chooseExample();
    setUp({ typecheckTests: false });
    must(process.execPath, [join(root, 'scripts/demo.mjs')]);
    break;
  }
  case 'pack': {
    setUp({ typecheckTests: false });
    const tarballs = packPublicPackages(packedDir);
    for (const file of Object.values(tarballs)) console.log(relative(process.cwd(), file));
    // What a project outside the clone runs, per package: every sibling tarball it needs is named.
    console.log('\ninstall by path (from this directory; add the framework, e.g. express):');
    for (const [name, line] of Object.entries(installByPathLines(tarballs))) console.log(`  ${name}:\n    ${line}`);
    break;
  }
  default:
    console.error(
      'usage: node scripts/run.mjs start|test|test:browser|test:load|bench|bench:stores|bench:fleet|bench:http|demo|pack',
    );
    process.exit(2);
}
