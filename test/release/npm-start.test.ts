// `npm start` as a newcomer runs it: a mistyped EXAMPLE fails and names the examples, and a
// SIGTERM or SIGINT sent to the npm process (not its process group) stops the add-on with it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { root } from '../../scripts/lib/pnpm.mjs';

/** The environment without a store URL, so the example opens its SQLite file. */
function startEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { REDIS_URL: _redis, DATABASE_URL: _postgres, ...env } = process.env;
  return { ...env, ...extra };
}

describe('npm start', () => {
  it('fails on a mistyped EXAMPLE and lists the examples', () => {
    const result = spawnSync('npm', ['start'], {
      cwd: root,
      encoding: 'utf8',
      env: startEnv({ EXAMPLE: 'expres-addon' }),
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'EXAMPLE=expres-addon is not an example; pick one of: express-addon, fastify-addon, koa-addon',
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops the add-on when the npm process gets %s', async (signal) => {
    // Its own process group, so a failing run can still end everything it started (below).
    const npm = spawn('npm', ['start'], {
      cwd: root,
      env: startEnv({ PORT: '0', HOST: '127.0.0.1', BASE_URL: '' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    onTestFinished(() => {
      try {
        process.kill(-(npm.pid as number), 'SIGKILL');
      } catch {}
    });
    const exited = once(npm, 'exit');
    let output = '';
    const descriptorUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no descriptor URL:\n${output}`)), 90_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /descriptor: (\S+)/.exec(output)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      };
      npm.stdout.on('data', read);
      npm.stderr.on('data', read);
      npm.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving:\n${output}`)));
    });
    expect((await fetch(descriptorUrl)).status).toBe(200);

    npm.kill(signal);
    const [code, killedBy] = await exited;
    expect({ code, killedBy }, output).toEqual({ code: 0, killedBy: null });
    // npm waits for its child, so once it has exited nothing may answer on the add-on's port.
    await expect(fetch(descriptorUrl)).rejects.toThrow();
  });
});
