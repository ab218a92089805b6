// A project outside the repository that installs the packed tarballs the way a user would: plain
// npm, no pnpm, no workspace links, nothing of the repository on PATH.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { root } from '../../scripts/lib/pnpm.mjs';

// Kept between runs (and shared by concurrent ones: npm's cache is safe for that), so only a
// first run downloads the frameworks.
const npmCache = join(tmpdir(), 'connect-jwt-consumer-npm-cache');

export interface ConsumerProject {
  dir: string;
  /** Runs a command in the project; throws with its output when it fails. */
  run(command: string, args: string[], options?: { timeout?: number }): SpawnSyncReturns<string>;
  remove(): void;
}

/** The environment of a user's shell: no npm_/pnpm_ settings of this run, no repository bin directories. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm|pnpm)_/i.test(name) && !/^(VITEST|NODE_OPTIONS)/.test(name)) env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && relative(root, dir).startsWith('..'))
    .join(delimiter);
  return { ...env, npm_config_cache: npmCache, npm_config_update_notifier: 'false', NO_COLOR: '1' };
}

/**
 * Creates the project in a temporary directory and `npm install`s the tarballs with
 * `dependencies` (name → range). Install scripts are skipped: better-sqlite3 would compile for
 * minutes and nothing here opens a SQLite file.
 */
export function installConsumerProject(options: {
  name: string;
  tarballs: Record<string, string>;
  dependencies: Record<string, string>;
}): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), `connect-jwt-${options.name}-`));
  if (!relative(root, dir).startsWith('..')) throw new Error(`${dir} is inside the repository`);
  mkdirSync(join(dir, 'src'));
  const dependencies = { ...options.dependencies };
  for (const [name, file] of Object.entries(options.tarballs)) dependencies[name] = `file:${file}`;
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: options.name, private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  const env = userEnv();
  const project: ConsumerProject = {
    dir,
    run(command, args, runOptions = {}) {
      const result = spawnSync(command, args, {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: runOptions.timeout ?? 120_000,
      });
      if (result.status !== 0) {
        throw new Error(
          `${command} ${args.join(' ')} failed in ${dir} (exit ${result.status}, ${result.signal ?? 'no signal'}):\n${result.stdout}\n${result.stderr}`,
        );
      }
      return result;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'], {
    timeout: 480_000,
  });
  return project;
}
