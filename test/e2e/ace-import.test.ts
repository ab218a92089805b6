// From atlassian-connect-express to connect-jwt without a reinstall: sites written by ACE's own
// store code into a real SQLite file, PostgreSQL and Redis are imported with ace-import's command
// (`connect-jwt-import-ace`), then requests signed with the imported secrets pass each adapter.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, type RunningServer } from '@connect-jwt/adapter-test-suite';
import { createJwt, encryptedStore, type SecretStore } from '@connect-jwt/core';
import { atlassianJwt as expressJwt } from '@connect-jwt/express';
import { atlassianJwt as fastifyJwt } from '@connect-jwt/fastify';
import { atlassianJwt as koaJwt } from '@connect-jwt/koa';
import { PostgresStore } from '@connect-jwt/store-postgres';
import { RedisStore } from '@connect-jwt/store-redis';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import { closedPort } from '@connect-jwt/store-test-suite';
import { storeFromUrl } from '@connect-jwt/store-url';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { importAceCommand } from '../../packages/ace-import/src/cli.js';
import {
  type AceSites,
  expectedInstallation,
  writeAceSites,
} from '../../packages/ace-import/test/support/ace-sites.js';
import {
  type AceStore,
  acePostgresStore,
  aceRedisStore,
  aceSqliteStore,
  REDIS_URL,
  removeRedisKeys,
  temporaryDatabase,
} from '../../packages/ace-import/test/support/ace-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-ace-import-'));
const cleanUps: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp();
});

// A database index of its own: ACE's Redis keys have no prefix, so a scan sees the whole database.
const REDIS_DB_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/6`;
const ENCRYPTION_KEY = randomBytes(32).toString('hex');

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await importAceCommand(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  return { code, stdout, stderr, all: stdout + stderr };
}

/** One GET /whoami per framework, each behind its atlassianJwt() on `store`. */
async function startAdapters(store: SecretStore): Promise<Record<string, RunningServer>> {
  const expressApp = express();
  expressApp.get('/whoami', expressJwt({ store }), (req, res) => {
    res.json({ clientKey: req.atlassian.clientKey });
  });
  const koaApp = new Koa();
  koaApp.use(koaJwt({ store }));
  koaApp.use((ctx) => {
    ctx.body = { clientKey: ctx.state.atlassian.clientKey };
  });
  const fastifyApp = Fastify();
  await fastifyApp.register(fastifyJwt, { store });
  fastifyApp.get('/whoami', async (request) => ({ clientKey: request.atlassian.clientKey }));
  await fastifyApp.listen({ port: 0, host: '127.0.0.1' });
  const { port } = fastifyApp.server.address() as AddressInfo;
  return {
    express: await listen(expressApp.listen(0, '127.0.0.1')),
    koa: await listen(koaApp.listen(0, '127.0.0.1')),
    fastify: { url: `http://127.0.0.1:${port}`, close: () => fastifyApp.close() },
  };
}

async function whoami(server: RunningServer, clientKey: string, secret: string) {
  const token = await createJwt(clientKey, secret, { method: 'GET', uri: '/whoami' });
  const response = await fetch(`${server.url}/whoami`, { headers: { authorization: `JWT ${token}` } });
  return { status: response.status, body: (await response.json()) as { clientKey?: string; code?: string } };
}

interface Route {
  name: string;
  /** An ACE store of this backend and the URL to import from. */
  source(): Promise<{ store: AceStore; url: string }>;
  /** A connect-jwt store URL to import into, given the source's. */
  target(from: string): Promise<string>;
  encrypted: boolean;
  /** Only this run writes ACE records there, so the summary's counts are exact. */
  exclusive: boolean;
}

const routes: Route[] = [
  {
    name: 'ACE SQLite file -> connect-jwt PostgreSQL',
    async source() {
      const file = join(dir, 'ace.sqlite');
      return { store: await aceSqliteStore(file), url: `sqlite:${file}` };
    },
    async target() {
      const database = await temporaryDatabase();
      cleanUps.push(() => database.drop());
      return database.url;
    },
    encrypted: false,
    exclusive: true,
  },
  {
    name: 'ACE PostgreSQL -> connect-jwt Redis behind encryptedStore',
    async source() {
      const database = await temporaryDatabase();
      cleanUps.push(() => database.drop());
      return { store: await acePostgresStore(database.url), url: database.url };
    },
    async target() {
      cleanUps.push(() => removeRedisKeys(REDIS_DB_URL));
      return REDIS_DB_URL;
    },
    encrypted: true,
    exclusive: true,
  },
  {
    name: 'ACE Redis -> connect-jwt SQLite file',
    async source() {
      cleanUps.push(() => removeRedisKeys(REDIS_DB_URL));
      return { store: await aceRedisStore(REDIS_DB_URL), url: REDIS_DB_URL };
    },
    async target() {
      return `sqlite:${join(dir, 'connect-jwt.sqlite')}`;
    },
    encrypted: false,
    exclusive: false,
  },
  // The in-place switch: one app database holds ACE's table (or keys) and, beside it, ours.
  {
    name: 'ACE SQLite file -> connect-jwt in the same file',
    async source() {
      const file = join(dir, 'one-database.sqlite');
      return { store: await aceSqliteStore(file), url: `sqlite:${file}` };
    },
    target: async (from) => from,
    encrypted: false,
    exclusive: true,
  },
  {
    name: 'ACE PostgreSQL -> connect-jwt in the same database',
    async source() {
      const database = await temporaryDatabase();
      cleanUps.push(() => database.drop());
      return { store: await acePostgresStore(database.url), url: database.url };
    },
    target: async (from) => from,
    encrypted: false,
    exclusive: true,
  },
  {
    name: 'ACE Redis -> connect-jwt in the same Redis database',
    async source() {
      cleanUps.push(() => removeRedisKeys(REDIS_DB_URL));
      return { store: await aceRedisStore(REDIS_DB_URL), url: REDIS_DB_URL };
    },
    target: async (from) => from,
    encrypted: true,
    exclusive: false,
  },
];

describe.each(routes)('$name', (route) => {
  let sites: AceSites;
  let from: string;
  let to: string;
  let target: SecretStore;
  const outputs: string[] = [];
  const args = () => ['--from', from, '--to', to, ...(route.encrypted ? ['--encryption-key', ENCRYPTION_KEY] : [])];
  const run = async (...extra: string[]) => {
    const result = await cli([...args(), ...extra]);
    outputs.push(result.all);
    return result;
  };

  it('writes nothing on a dry run, and says what it would do', async () => {
    const source = await route.source();
    sites = await writeAceSites(source.store, 'e2e');
    await source.store.close();
    from = source.url;
    to = await route.target(from);

    const result = await run('--dry-run');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('(dry run: nothing written)');
    if (route.exclusive) expect(result.stdout).toContain('would import 3, unchanged 0, skipped 4 (4 invalid)');
    if (to.startsWith('sqlite:') && to !== from) {
      // Not even the file: opening a SQLite store would create it.
      expect(existsSync(to.slice('sqlite:'.length))).toBe(false);
    }
    const opened = storeFromUrl(to);
    target = route.encrypted ? encryptedStore(opened, ENCRYPTION_KEY) : opened;
    cleanUps.push(() => target.close?.());
    for (const body of sites.valid) expect(await target.get(body.clientKey as string)).toBeUndefined();
  });

  it('imports every usable site with the fields an install keeps, its Forge link included', async () => {
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    if (route.exclusive) expect(result.stdout).toContain('imported 3, unchanged 0, skipped 4 (4 invalid)');
    const [jira, confluence, linked] = sites.valid as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(await target.get(jira.clientKey as string)).toEqual(expectedInstallation(jira));
    expect(await target.get(confluence.clientKey as string)).toEqual(expectedInstallation(confluence));
    expect(await target.get(linked.clientKey as string)).toEqual(
      expectedInstallation(linked, sites.linkedOnly.installationId),
    );
    for (const { clientKey, reason } of sites.malformed) {
      expect(result.stdout).toContain(`skipped   ${clientKey}: ${reason}`);
      expect(await target.get(clientKey)).toBeUndefined();
    }
    expect(result.stdout).toMatch(/uninstalled sites are imported too/);
    if (route.encrypted) {
      // Read past encryptedStore: the secret sits encrypted at rest.
      const raw = new RedisStore(REDIS_DB_URL);
      cleanUps.push(() => raw.close());
      expect((await raw.get(jira.clientKey as string))?.sharedSecret).toMatch(/^enc:v1:/);
    }
  });

  it('authenticates requests signed with an imported secret in Express, Koa and Fastify', async () => {
    const servers = await startAdapters(target);
    cleanUps.push(...Object.values(servers).map((server) => () => server.close()));
    for (const [framework, server] of Object.entries(servers)) {
      for (const body of sites.valid) {
        const answer = await whoami(server, body.clientKey as string, body.sharedSecret as string);
        expect({ framework, ...answer }).toEqual({ framework, status: 200, body: { clientKey: body.clientKey } });
      }
      const skipped = sites.malformed[1] as { clientKey: string };
      const refused = await whoami(server, skipped.clientKey, 'any-secret-at-all');
      expect({ framework, status: refused.status }).toEqual({ framework, status: 401 });
    }
  });

  it('imports nothing the second time, and says so', async () => {
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    if (route.exclusive) expect(result.stdout).toContain('imported 0, unchanged 3, skipped 4 (4 invalid)');
    else expect(result.stdout).toMatch(/imported 0, unchanged [3-9]/);
  });

  it('never rolls back a site that reinstalled after the switch, unless told to', async () => {
    const jira = sites.valid[0] as Record<string, string>;
    const reinstalled = { ...expectedInstallation(jira), sharedSecret: `newer-${randomBytes(8).toString('hex')}` };
    await target.set(reinstalled as never);
    const kept = await run();
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`conflict  ${jira.clientKey}: the target holds a different record`);
    if (route.exclusive) expect(kept.stdout).toContain('imported 0, unchanged 2, skipped 5 (1 conflict, 4 invalid)');
    expect((await target.get(jira.clientKey as string))?.sharedSecret).toBe(reinstalled.sharedSecret);

    const replaced = await run('--overwrite');
    expect(replaced.stdout).toContain(`overwrite ${jira.clientKey}: replaced the differing record`);
    if (route.exclusive)
      expect(replaced.stdout).toContain('imported 1, unchanged 2, skipped 4 (1 overwritten, 4 invalid)');
    expect((await target.get(jira.clientKey as string))?.sharedSecret).toBe(jira.sharedSecret);
  });

  it('never printed a shared secret or the encryption key', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(5);
    for (const output of outputs) {
      for (const secret of [...sites.secrets, ENCRYPTION_KEY]) expect(output).not.toContain(secret);
    }
  });
});

// An app that keeps installations in a schema, table or key prefix of its own: `--to` names them
// with the store URL's own query parameters, and the app's store, built from options, reads them.
describe('into a store named by its URL: ?schema=&table=, ?table=, ?prefix=', () => {
  const unique = randomBytes(4).toString('hex');

  async function importAndReadBack(source: AceStore, from: string, to: string, read: SecretStore) {
    const sites = await writeAceSites(source, `named-${unique}`);
    await source.close();
    cleanUps.push(() => read.close?.());
    const result = await cli(['--from', from, '--to', to]);
    expect(result.code, result.all).toBe(0);
    expect(result.stdout).toContain('imported 3, unchanged 0, skipped 4 (4 invalid)');
    const [jira, confluence, linked] = sites.valid as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(await read.get(jira.clientKey as string)).toEqual(expectedInstallation(jira));
    expect(await read.get(confluence.clientKey as string)).toEqual(expectedInstallation(confluence));
    expect(await read.get(linked.clientKey as string)).toEqual(
      expectedInstallation(linked, sites.linkedOnly.installationId),
    );
    expect(await read.getByInstallationId?.(sites.linkedOnly.installationId)).toMatchObject({
      clientKey: linked.clientKey,
    });
    return sites;
  }

  it("PostgreSQL: a schema of the app's, beside ACE's table in the same database, even under its name", async () => {
    const database = await temporaryDatabase();
    cleanUps.push(() => database.drop());
    const schema = `app_${unique}`;
    // ACE's own table name in another schema: a different table, so it is no reason to refuse.
    const table = 'AddonSettings';
    const ace = await acePostgresStore(database.url);
    const to = `${database.url}?schema=${schema}&table=${table}`;
    const read = new PostgresStore({ url: database.url, schema, table });
    const sites = await importAndReadBack(ace, database.url, to, read);
    const defaults = new PostgresStore(database.url);
    cleanUps.push(() => defaults.close());
    expect(await defaults.get(sites.valid[0]?.clientKey as string)).toBeUndefined();
    // In `public` (named, or by default) it is ACE's table: refused before anything is read.
    for (const same of [`${database.url}?table=${table}`, `${database.url}?schema=public&table=${table}`]) {
      const refused = await cli(['--from', database.url, '--to', same]);
      expect(refused).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(`public.${table} in the --to database`),
      });
    }
  });

  it("Redis: a key prefix of the app's, read back by a RedisStore with that prefix", async () => {
    cleanUps.push(() => removeRedisKeys(REDIS_DB_URL));
    const file = join(dir, `named-${unique}-ace.sqlite`);
    const prefix = `app-${unique}:`;
    const read = new RedisStore({ url: REDIS_DB_URL, prefix });
    const sites = await importAndReadBack(
      await aceSqliteStore(file),
      `sqlite:${file}`,
      `${REDIS_DB_URL}?prefix=${encodeURIComponent(prefix)}`,
      read,
    );
    const defaults = new RedisStore(REDIS_DB_URL);
    cleanUps.push(() => defaults.close());
    expect(await defaults.get(sites.valid[0]?.clientKey as string)).toBeUndefined();
  });

  it("SQLite: a table of the app's in ACE's own file; ACE's table itself is refused", async () => {
    const file = join(dir, `named-${unique}-one.sqlite`);
    const table = `app_${unique}`;
    const read = new SqliteStore({ filename: file, table });
    await importAndReadBack(await aceSqliteStore(file), `sqlite:${file}`, `sqlite:${file}?table=${table}`, read);
    const refused = await cli(['--from', `sqlite:${file}`, '--to', `sqlite:${file}?table=AddonSettings`]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('AddonSettings in the --to database') });
  });

  it('refuses a parameter the target store does not take, naming the ones it does', async () => {
    const file = join(dir, 'ace.sqlite');
    for (const [to, message] of [
      [`${REDIS_DB_URL}?table=t`, 'a redis store URL takes ?prefix= only, not ?table='],
      [`sqlite:${join(dir, 'x.sqlite')}?schema=s`, 'a sqlite store URL takes ?table= only, not ?schema='],
      ['postgres://127.0.0.1/app?table=no-dashes', '?table= must be an SQL identifier'],
    ] as const) {
      const result = await cli(['--from', `sqlite:${file}`, '--to', to]);
      expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`--to: ${message}`) });
    }
    // ACE's store has no such names: its table is --table's.
    const from = await cli(['--from', `sqlite:${file}?table=AddonSettings`, '--to', `sqlite:${join(dir, 'y.sqlite')}`]);
    expect(from).toMatchObject({ code: 2, stderr: expect.stringContaining('--from: ?table= names where') });
    expect((await cli(['--help'])).stdout).toContain('?schema=&table= (postgres)');
  });
});

describe('connect-jwt-import-ace when a store cannot be reached', () => {
  it('says which one in one line and exits 1, without a stack trace or a password', async () => {
    const port = await closedPort();
    const sqliteTarget = `sqlite:${join(dir, 'unreached.sqlite')}`;
    const cases = [
      [['--from', `redis://127.0.0.1:${port}/0`, '--to', sqliteTarget], /cannot read the ACE store at redis:/],
      [
        ['--from', `postgres://postgres:hunter2@127.0.0.1:${port}/ace`, '--to', sqliteTarget],
        /cannot read the ACE store at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/,
      ],
      [['--from', `sqlite:${join(dir, 'no-such-ace.sqlite')}`, '--to', sqliteTarget], /cannot open the ACE store/],
      [
        ['--from', `sqlite:${join(dir, 'ace.sqlite')}`, '--to', `redis://:hunter2@127.0.0.1:${port}/0`],
        /the target store at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 failed/,
      ],
    ] as const;
    for (const [argv, message] of cases) {
      const result = await cli([...argv]);
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.all).not.toMatch(/\n\s+at /);
      expect(result.all).not.toContain('hunter2');
    }
  });

  it('refuses to read the table it writes to, and explains its options', async () => {
    const file = join(dir, 'ace.sqlite');
    const sameTable = ['--table', 'connect_jwt_installations'];
    for (const [from, to] of [
      [`sqlite:${file}`, `sqlite:${file}`],
      [`sqlite:${file}`, `sqlite://${file}`],
      ['postgres://postgres@127.0.0.1/app', 'postgresql://other@127.0.0.1:5432/app'],
      ['postgres://app@127.0.0.1:5432', 'postgres://postgres@127.0.0.1/app'],
    ]) {
      const same = await cli(['--from', from as string, '--to', to as string, ...sameTable]);
      expect(same).toMatchObject({ code: 2, stderr: expect.stringContaining('the ACE store is never written to') });
    }
    const missing = await cli(['--from', `sqlite:${file}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--from and --to are required');
    expect((await cli(['--help'])).stdout).toContain('--dry-run');
  });
});
