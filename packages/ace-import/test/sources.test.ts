import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from '@connect-jwt/store-test-suite';
import { afterAll, describe, expect, it } from 'vitest';
import { type AceSnapshot, AceSourceError, openAceSource } from '../src/index.js';
import { writeAceSites } from './support/ace-sites.js';
import {
  type AceStore,
  acePostgresStore,
  aceRedisStore,
  aceSqliteStore,
  addDuplicateRow,
  installBody,
  REDIS_URL,
  removeRedisKeys,
  temporaryDatabase,
  uniqueClientKey,
} from './support/ace-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-ace-sources-'));
const cleanUps: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp();
});

interface Backend {
  name: string;
  /** An ACE store and the URL the importer reads it from. */
  open(table?: string): Promise<{ store: AceStore; url: string }>;
  /** ACE's sequelize adapter (tables, duplicates possible) rather than its redis one. */
  sequelize: boolean;
}

let files = 0;
const backends: Backend[] = [
  {
    name: 'SQLite file',
    sequelize: true,
    async open(table) {
      const file = join(dir, `ace-${files++}.sqlite`);
      return { store: await aceSqliteStore(file, table), url: `sqlite:${file}` };
    },
  },
  {
    name: 'PostgreSQL',
    sequelize: true,
    async open(table) {
      const database = await temporaryDatabase();
      cleanUps.push(() => database.drop());
      return { store: await acePostgresStore(database.url, table), url: database.url };
    },
  },
  {
    name: 'Redis',
    sequelize: false,
    async open() {
      const url = `${REDIS_URL.replace(/\/\d*$/, '')}/0`;
      cleanUps.push(() => removeRedisKeys(url));
      return { store: await aceRedisStore(url), url };
    },
  },
];

async function read(url: string, table?: string): Promise<AceSnapshot> {
  const source = openAceSource(url, { table });
  try {
    return await source.read();
  } finally {
    await source.close();
  }
}

describe.each(backends)('reading ACE stores: $name', (backend) => {
  it('finds every clientInfo ACE wrote, decoded as ACE decodes it, and its Forge links', async () => {
    const { store, url } = await backend.open();
    const sites = await writeAceSites(store, 'read');
    await store.close();
    const snapshot = await read(url);
    for (const body of sites.valid) {
      const found = snapshot.clientInfos.find((info) => info.clientKey === body.clientKey);
      expect(found).toEqual({ clientKey: body.clientKey, value: body, rows: 1 });
    }
    const notJson = sites.malformed.find((site) => site.reason.includes('not a JSON'))?.clientKey;
    expect(snapshot.clientInfos.find((info) => info.clientKey === notJson)?.value).toBe('this is not JSON');
    expect(snapshot.links).toContainEqual(sites.linkedOnly);
    const confluence = sites.valid[1] as Record<string, string>;
    expect(snapshot.links).toContainEqual({
      installationId: confluence.installationId,
      clientKey: confluence.clientKey,
    });
    // The add-on's own per-site keys are not installations.
    expect(snapshot.clientInfos.every((info) => (info.value as { lastSync?: unknown })?.lastSync === undefined)).toBe(
      true,
    );
  });
});

describe.each(backends.filter((backend) => backend.sequelize))('reading ACE sequelize stores: $name', (backend) => {
  it('takes, of duplicate rows, the one ACE’s own get() returns', async () => {
    const { store, url } = await backend.open();
    const clientKey = uniqueClientKey('dup');
    await store.saveInstallation(installBody(clientKey), clientKey);
    await addDuplicateRow(store, clientKey, installBody(clientKey));
    await addDuplicateRow(store, clientKey, installBody(clientKey));
    const aceAnswer = await store.get('clientInfo', clientKey);
    await store.close();
    const found = (await read(url)).clientInfos.find((info) => info.clientKey === clientKey);
    expect(found?.rows).toBe(3);
    expect(found?.value).toEqual(aceAnswer);
  });

  it('reads the table ACE’s store.table setting names (sequelize pluralises it)', async () => {
    const { store, url } = await backend.open('addon_setting');
    const clientKey = uniqueClientKey('table');
    await store.saveInstallation(installBody(clientKey), clientKey);
    await store.close();
    expect((await read(url, 'addon_setting')).clientInfos.map((info) => info.clientKey)).toEqual([clientKey]);
    const error = await read(url).catch((e) => e);
    expect(error).toBeInstanceOf(AceSourceError);
    expect(error.message).toMatch(
      /has no table AddonSettings or AddonSettinges or AddonSetting: pass ACE's store.table/,
    );
  });
});

describe('an ACE store that cannot be read', () => {
  it('is an AceSourceError in one line, for a server that is down or a file that is not there', async () => {
    const port = await closedPort();
    const sources = [
      [`redis://127.0.0.1:${port}/2`, /cannot read the ACE store at redis:\/\/127\.0\.0\.1:\d+\/2: .*ECONNREFUSED/],
      [
        `postgres://postgres:hunter2@127.0.0.1:${port}/ace`,
        /cannot read the ACE store at postgres:\/\/postgres:\*\*\*@/,
      ],
      [`sqlite:${join(dir, 'missing.sqlite')}`, /cannot open the ACE store at sqlite:.*missing\.sqlite/],
    ] as const;
    for (const [url, message] of sources) {
      const error = await read(url).catch((e) => e);
      expect(error).toBeInstanceOf(AceSourceError);
      expect(error.code).toBe('ERR_ACE_SOURCE');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('never creates the file it was pointed at', async () => {
    const file = join(dir, 'never-created.sqlite');
    await read(`sqlite:${file}`).catch(() => undefined);
    expect(() => statSync(file)).toThrow();
  });
});
