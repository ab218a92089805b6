import { randomBytes, randomUUID } from 'node:crypto';
import { cachedStore, encryptedStore, type Installation, StoreUnavailableError } from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { RedisStore } from '@connect-jwt/store-redis';
import {
  changeFeedSuite,
  closedPort,
  installationsSuite,
  linkFaultSuite,
  sampleInstallation,
  storeSuite,
  TcpProxy,
  uniqueClientKey,
} from '@connect-jwt/store-test-suite';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';

// A real server: the tests fail (they do not skip) when it is not running.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const target = new URL(url);
const prefix = `connect-jwt-test:${randomBytes(6).toString('hex')}:`;
// No retries for the test's own client: a missing server fails the run at once, clearly.
const admin = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
admin.on('error', () => {});

// Connected on first use (not in a hook), so a missing server fails each test rather than skipping it.
let connecting: Promise<unknown> | undefined;
async function adminClient() {
  connecting ??= admin.connect();
  await connecting;
  return admin;
}

afterAll(async () => {
  // Remove every key this run wrote.
  await adminClient();
  for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await admin.del(keys);
  }
  await admin.close();
});

storeSuite('RedisStore', () => new RedisStore({ url, prefix }));
storeSuite('cachedStore(encryptedStore(RedisStore))', () =>
  cachedStore(encryptedStore(new RedisStore({ url, prefix: `${prefix}enc:` }), Buffer.alloc(32, 7))),
);
changeFeedSuite('RedisStore', () => new RedisStore({ url, prefix }), {
  linkFault: {
    targetHost: target.hostname,
    targetPort: Number(target.port || 6379),
    createStore: (address) =>
      new RedisStore({ url: `redis://${address}`, connectTimeout: 500, commandTimeout: 500, prefix }),
    halfOpen: true,
  },
});
changeFeedSuite('RedisStore (a client passed in lends the feed its options)', async () => {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  const store = new RedisStore({ client, prefix });
  const close = store.close.bind(store);
  return Object.assign(store, {
    close: async () => {
      await close();
      await client.close();
    },
  });
});
installationsSuite('RedisStore', () => new RedisStore({ url, prefix: `${prefix}listed:` }), {
  linkFault: {
    targetHost: target.hostname,
    targetPort: Number(target.port || 6379),
    createStore: (address) =>
      new RedisStore({
        url: `redis://${address}`,
        connectTimeout: 500,
        commandTimeout: 1000,
        prefix: `${prefix}listed:`,
      }),
  },
});
installationsSuite(
  'cachedStore(encryptedStore(RedisStore))',
  () => cachedStore(encryptedStore(new RedisStore({ url, prefix: `${prefix}enc:` }), Buffer.alloc(32, 7))),
  { count: 2000 },
);
linkFaultSuite('RedisStore', {
  targetHost: target.hostname,
  targetPort: Number(target.port || 6379),
  createStore: (address) =>
    new RedisStore({ url: `redis://${address}`, connectTimeout: 500, commandTimeout: 500, prefix }),
});

describe('RedisStore', () => {
  it('keeps one JSON string key per installation under the prefix', async () => {
    const store = new RedisStore({ url, prefix: `${prefix}layout:` });
    const installation = sampleInstallation('layout-key');
    await store.set(installation);
    expect(JSON.parse((await (await adminClient()).get(`${prefix}layout:layout-key`)) as string)).toEqual(installation);
    await store.delete('layout-key');
    expect(await (await adminClient()).exists(`${prefix}layout:layout-key`)).toBe(0);
    await store.close();
  });

  it('replace compares JSON values, not text: a row another tool spaced differently is still the one expected', async () => {
    const store = new RedisStore({ url, prefix: `${prefix}spaced:` });
    const clientKey = uniqueClientKey('spaced');
    const written = sampleInstallation(clientKey, { nested: { list: [1, 'two', null], empty: {} } });
    await (await adminClient()).set(`${prefix}spaced:${clientKey}`, JSON.stringify(written, null, 2));
    const expected = (await store.get(clientKey)) as Installation;
    expect(await store.replace({ ...expected, nested: { list: [1, 'two'], empty: {} } }, written)).toBe(false);
    expect(await store.replace({ ...expected, extra: 'x' }, written)).toBe(false);
    const next = sampleInstallation(clientKey, { sharedSecret: 'rewritten' });
    expect(await store.replace(expected, next)).toBe(true);
    expect(await store.get(clientKey)).toEqual(next);
    await store.close();
  });

  it('uses a client it does not own and leaves it connected on close()', async () => {
    const client = createClient({ url });
    await client.connect();
    const store = new RedisStore({ client, prefix });
    const clientKey = uniqueClientKey('borrowed');
    await store.set(sampleInstallation(clientKey));
    await store.close();
    expect(client.isReady).toBe(true);
    expect(await client.exists(`${prefix}${clientKey}`)).toBe(1);
    await client.close();
  });

  it('a closed port rejects with ERR_STORE_UNAVAILABLE within its connect timeout', async () => {
    const port = await closedPort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeout: 300, prefix });
    const failure = await store.get('k').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    await expect(store.set(sampleInstallation('k'))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('a server that accepts but never answers rejects with ERR_STORE_UNAVAILABLE (no hang)', async () => {
    const proxy = new TcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    await proxy.start();
    await proxy.blackhole();
    const store = new RedisStore({ url: `redis://${proxy.address}`, connectTimeout: 300, commandTimeout: 300, prefix });
    try {
      await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('close() returns even while a command waits on a silent link', async () => {
    const proxy = new TcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    await proxy.start();
    const store = new RedisStore({ url: `redis://${proxy.address}`, commandTimeout: 1000, prefix });
    try {
      await store.get('warm-up');
      proxy.stall();
      const pending = expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await store.close();
      await pending;
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('keeps a remembered value under <prefix>\\0remembered:<key>, with its expiry in ms', async () => {
    const store = new RedisStore({ url, prefix });
    const key = uniqueClientKey('layout-value');
    await store.remember(key, 'v', 60_000);
    const ttl = await (await adminClient()).pTTL(`${prefix}\0remembered:${key}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.close();
  });

  it('rejects bad options at setup with a TypeError naming the option', () => {
    expect(() => new RedisStore('http://localhost')).toThrow(/options\.url/);
    expect(() => new RedisStore({ connectTimeout: 0 })).toThrow(/options\.connectTimeout/);
    expect(() => new RedisStore({ commandTimeout: Number.NaN })).toThrow(/options\.commandTimeout/);
    expect(() => new RedisStore({ prefix: 5 as never })).toThrow(/options\.prefix/);
    expect(() => new RedisStore({ client: {} as never })).toThrow(/options\.client/);
    expect(() => new RedisStore({ urll: url } as never)).toThrow(/"urll".*url, cluster, client, prefix/);
    expect(() => new RedisStore({ url, client: createClient() })).toThrow(/one of options\.url/);
  });
});

// Someone who can write the database but has no key points their own record's (plaintext)
// installationId, and the index, at the victim's installation: a Forge call for the victim must
// not resolve to them.
describe('encryptedStore(RedisStore) against a rewritten installationId', () => {
  it('never answers the lookup with the record whose installationId was rewritten', async () => {
    const at = `${prefix}rebound:`;
    const store = encryptedStore(new RedisStore({ url, prefix: at }), randomBytes(32));
    const bareVictimId = randomUUID();
    const victimId = `ari:cloud:ecosystem::installation/${bareVictimId}`;
    await store.set(sampleInstallation('victim', { installationId: victimId }));
    await store.set(sampleInstallation('attacker', { installationId: randomUUID() }));
    expect((await store.getByInstallationId?.(victimId))?.clientKey).toBe('victim');
    const client = await adminClient();
    const record = JSON.parse((await client.get(`${at}attacker`)) as string);
    await client.set(`${at}attacker`, JSON.stringify({ ...record, installationId: victimId }));
    await client.set(`${at}by-installation-id:${bareVictimId}`, 'attacker');
    const lookup = await store.getByInstallationId?.(victimId).catch((error: unknown) => error);
    expect(lookup).not.toMatchObject({ clientKey: 'attacker' });
    expect(lookup === undefined || lookup instanceof SecretDecryptionError).toBe(true);
    expect((await store.get('victim'))?.sharedSecret).toBe(sampleInstallation('victim').sharedSecret);
    await store.close();
  });
});
