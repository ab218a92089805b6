import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import pg from 'pg';
import { sqlite3Driver } from './sqlite3-driver.js';

// ACE's own store adapters, from the atlassian-connect-express package: the fixtures are written
// by ACE's code (its models, its key layout, its JSON encoding), never by hand-made rows.
const require = createRequire(import.meta.url);
const aceRequire = createRequire(require.resolve('atlassian-connect-express/package.json'));
const sequelizeAdapter = require('atlassian-connect-express/lib/store/sequelize.js');
const redisAdapter = require('atlassian-connect-express/lib/store/redis.js');

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const silent = { info() {}, warn() {}, error() {} };

/** The calls of ACE's store adapter (lib/store/*.js) that the fixtures use. */
export interface AceStore {
  saveInstallation(value: unknown, clientKey: string): Promise<unknown>;
  set(key: string, value: unknown, clientKey: string): Promise<unknown>;
  get(key: string, clientKey: string): Promise<unknown>;
  associateInstallations(installationId: string, clientKey: string): Promise<unknown>;
  close(): Promise<void>;
}

interface SequelizeAdapter extends AceStore {
  connectionPromise: Promise<{ create(row: Record<string, unknown>): Promise<unknown> }>;
  installationMappingPromise: Promise<unknown>;
  forgeSettingsPromise: Promise<unknown>;
  sequelize: { close(): Promise<void> };
}

/** Adds a clientInfo row beside the one ACE keeps, through ACE's own model: what a findOrCreate race leaves. */
export async function addDuplicateRow(store: AceStore, clientKey: string, value: unknown): Promise<void> {
  const model = await (store as SequelizeAdapter).connectionPromise;
  await model.create({ clientKey, key: 'clientInfo', val: value });
}

async function sequelizeStore(options: Record<string, unknown>): Promise<AceStore> {
  if (process.env.DB_URL) throw new Error('DB_URL would redirect ACE’s store; unset it for these tests');
  const adapter = sequelizeAdapter(silent, { logging: false, ...options }) as SequelizeAdapter;
  await Promise.all([adapter.connectionPromise, adapter.installationMappingPromise, adapter.forgeSettingsPromise]);
  adapter.close = () => adapter.sequelize.close();
  return adapter;
}

/** ACE's sequelize store on a SQLite file, as `store: { adapter: 'sequelize', dialect: 'sqlite', storage }`. */
export function aceSqliteStore(storage: string, table?: string): Promise<AceStore> {
  return sequelizeStore({ adapter: 'sequelize', dialect: 'sqlite', storage, table, dialectModule: sqlite3Driver });
}

/** ACE's sequelize store on PostgreSQL, as `store: { adapter: 'sequelize', url }`. */
export function acePostgresStore(url: string, table?: string): Promise<AceStore> {
  return sequelizeStore({ adapter: 'sequelize', url, table });
}

/**
 * ACE's redis adapter. ACE 11.5.3 builds its client with node-redis 4 but promisifies it as the
 * callback API of node-redis 3 and never connects, so as shipped it cannot write at all; the
 * fixture gives it the same four promisified commands over a connected legacy-mode client from
 * ACE's own node-redis. Its key layout and encoding run unchanged.
 */
export async function aceRedisStore(url: string): Promise<AceStore> {
  const redis = aceRequire('redis');
  const client = redis.createClient({ url, legacyMode: true });
  client.on('error', () => {});
  await client.connect();
  const adapter = redisAdapter(silent, { url });
  adapter.client = Object.fromEntries(
    ['get', 'set', 'del', 'keys'].map((command) => [command, promisify(client[command]).bind(client)]),
  );
  adapter.close = () => client.v4.quit().then(() => undefined);
  return adapter as AceStore;
}

/** A throw-away PostgreSQL database (ACE's tables live in `public`); `drop` removes it. */
export async function temporaryDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ace_import_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

// In every clientKey this process writes, so that its Redis keys can be found and removed again.
const RUN = randomBytes(4).toString('hex');

/** A unique clientKey, so that runs sharing a Redis database never read each other's sites as their own. */
export function uniqueClientKey(label: string): string {
  return `ace-${RUN}-${label}-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key this process wrote to the Redis database at `url` (ACE's keys have no prefix). */
export async function removeRedisKeys(url: string): Promise<void> {
  const redis = aceRequire('redis');
  const client = redis.createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    for await (const key of client.scanIterator({ MATCH: `*ace-${RUN}-*`, COUNT: 1000 })) await client.del(key);
  } finally {
    await client.quit();
  }
}

/** The `/installed` body ACE stores as clientInfo, as Jira sends it. */
export function installBody(clientKey: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'my-app',
    clientKey,
    publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
    sharedSecret: `secret-${randomBytes(16).toString('hex')}`,
    serverVersion: '100240',
    pluginsVersion: '1001.0.0-SNAPSHOT',
    baseUrl: `https://${clientKey}.atlassian.net`,
    displayUrl: `https://${clientKey}.atlassian.net`,
    productType: 'jira',
    description: 'Atlassian JIRA at https://example.atlassian.net ',
    eventType: 'installed',
    ...overrides,
  };
}
