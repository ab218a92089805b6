import { randomBytes } from 'node:crypto';
import { cachedStore, encryptedStore, StoreUnavailableError } from '@connect-jwt/core';
import { RedisStore } from '@connect-jwt/store-redis';
import {
  changeFeedSuite,
  installationsSuite,
  linkFaultSuite,
  sampleInstallation,
  storeSuite,
  uniqueClientKey,
  uniqueInstallationId,
} from '@connect-jwt/store-test-suite';
import { createCluster } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';

// A real 3-master cluster (scripts/services.sh starts one on 7101-7103): the tests fail, not
// skip, when it is not running.
const url = process.env.REDIS_CLUSTER_URL ?? 'redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103';
const nodes = url
  .replace(/^rediss?\+cluster:\/\/(?:[^@]*@)?/, '')
  .split(',')
  .map((entry) => {
    const [host = '', port = ''] = entry.split(/:(?=\d+$)/);
    return { host, port: Number(port) };
  });
const first = nodes[0] ?? { host: '127.0.0.1', port: 7101 };
const prefix = `connect-jwt-test:${randomBytes(6).toString('hex')}:`;
const admin = createCluster({
  rootNodes: nodes.map((socket) => ({ socket: { ...socket, reconnectStrategy: false as const } })),
});
admin.on('error', () => {});

let connecting: Promise<unknown> | undefined;
async function adminCluster() {
  connecting ??= admin.connect();
  await connecting;
  return admin;
}

afterAll(async () => {
  // Remove every key this run wrote, from every master.
  const cluster = await adminCluster();
  for (const master of cluster.masters) {
    const client = await cluster.nodeClient(master);
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      for (const key of keys) await cluster.del(key);
    }
  }
  await admin.close();
});

// Every target host:port the cluster announces is reached through its proxy instead.
const throughProxies = (proxies: ReadonlyMap<string, string>, timeouts: number) =>
  new RedisStore({
    cluster: {
      rootNodes: [...proxies.values()],
      nodeAddressMap: (address) => {
        const proxied = proxies.get(address);
        if (proxied === undefined) return undefined;
        const [host = '', port = ''] = proxied.split(':');
        return { host, port: Number(port) };
      },
    },
    connectTimeout: timeouts,
    commandTimeout: timeouts,
    prefix,
  });

storeSuite('RedisStore (cluster)', () => new RedisStore({ url, prefix }));
storeSuite('cachedStore(encryptedStore(RedisStore (cluster)))', () =>
  cachedStore(encryptedStore(new RedisStore({ url, prefix: `${prefix}enc:` }), Buffer.alloc(32, 7))),
);
changeFeedSuite('RedisStore (cluster)', () => new RedisStore({ url, prefix }), {
  linkFault: {
    targetHost: first.host,
    targetPort: first.port,
    moreTargets: nodes.slice(1),
    createStore: (_address, proxies) => throughProxies(proxies, 500),
    halfOpen: true,
  },
});
changeFeedSuite('RedisStore (a createCluster() client passed in)', async () => {
  const client = createCluster({ rootNodes: nodes.map((socket) => ({ socket })) });
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
// 10,000 keys land on every master: each must be scanned.
installationsSuite('RedisStore (cluster)', () => new RedisStore({ url, prefix: `${prefix}listed:` }));
linkFaultSuite('RedisStore (cluster)', {
  targetHost: first.host,
  targetPort: first.port,
  moreTargets: nodes.slice(1),
  createStore: (_address, _fault, proxies) => throughProxies(proxies, 500),
});

describe('RedisStore on a Redis Cluster', () => {
  it('spreads installations over the masters, and reads them all back', async () => {
    const store = new RedisStore({ url, prefix });
    const cluster = await adminCluster();
    const clientKeys = Array.from({ length: 30 }, () => uniqueClientKey('spread'));
    for (const clientKey of clientKeys) await store.set(sampleInstallation(clientKey));
    const holders = new Set<number>();
    for (const [index, master] of cluster.masters.entries()) {
      const client = await cluster.nodeClient(master);
      // A node answers MOVED for a key another node holds.
      for (const clientKey of clientKeys) {
        if ((await client.exists(`${prefix}${clientKey}`).catch(() => 0)) === 1) holders.add(index);
      }
    }
    expect(holders.size).toBe(cluster.masters.length);
    for (const clientKey of clientKeys) expect((await store.get(clientKey))?.clientKey).toBe(clientKey);
    await store.close();
  });

  it('takes a createCluster() client it does not own, and leaves it connected on close()', async () => {
    const client = createCluster({ rootNodes: nodes.map((socket) => ({ socket })) });
    client.on('error', () => {});
    await client.connect();
    const store = new RedisStore({ client, prefix });
    const clientKey = uniqueClientKey('borrowed-cluster');
    const installationId = uniqueInstallationId();
    await store.set(sampleInstallation(clientKey, { installationId }));
    expect((await store.getByInstallationId(installationId))?.clientKey).toBe(clientKey);
    expect(await store.rememberOnce(clientKey, 'v', 10_000)).toBe('v');
    await store.close();
    expect(client.isOpen).toBe(true);
    expect(JSON.parse(String(await client.get(`${prefix}${clientKey}`))).clientKey).toBe(clientKey);
    await client.close();
  });

  it('a createCluster() client not connected yet: the call waits for its connection', async () => {
    const client = createCluster({ rootNodes: nodes.map((socket) => ({ socket })) });
    client.on('error', () => {});
    const store = new RedisStore({ client, prefix });
    const connected = client.connect();
    expect(await store.get(uniqueClientKey('early'))).toBeUndefined();
    await connected;
    await store.close();
    await client.close();
  });

  it('takes { cluster: { rootNodes } } as host:port strings or { host, port }', async () => {
    const asStrings = new RedisStore({ cluster: { rootNodes: [`${first.host}:${first.port}`] }, prefix });
    const asObjects = new RedisStore({ cluster: { rootNodes: nodes }, prefix });
    const clientKey = uniqueClientKey('root-nodes');
    await asStrings.set(sampleInstallation(clientKey));
    expect((await asObjects.get(clientKey))?.clientKey).toBe(clientKey);
    await Promise.all([asStrings.close(), asObjects.close()]);
  });

  it('reads a record written as the single-server layout wrote it (one JSON string key)', async () => {
    const store = new RedisStore({ url, prefix });
    const clientKey = uniqueClientKey('older');
    const record = sampleInstallation(clientKey);
    await (await adminCluster()).set(`${prefix}${clientKey}`, JSON.stringify(record));
    expect(await store.get(clientKey)).toEqual(record);
    await store.close();
  });

  it('one node named as a single server: every call fails with a StoreUnavailableError that says to use the cluster option', async () => {
    const store = new RedisStore({ url: `redis://${first.host}:${first.port}`, prefix });
    // Keys until one lives on another node (two thirds of them do).
    const failures: unknown[] = [];
    for (let i = 0; i < 20 && failures.length === 0; i++) {
      await store.get(uniqueClientKey('moved')).catch((error: unknown) => failures.push(error));
    }
    expect(failures[0]).toBeInstanceOf(StoreUnavailableError);
    expect(failures[0]).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: expect.stringMatching(/cluster/) });
    // From then on, every key is refused alike, not a random half.
    for (let i = 0; i < 5; i++) {
      await expect(store.get(uniqueClientKey('after-moved'))).rejects.toMatchObject({
        message: expect.stringMatching(/redis\+cluster:\/\//),
      });
    }
    await store.close();
  });

  it('rejects bad cluster options at setup with a TypeError naming the option', () => {
    expect(() => new RedisStore('redis+cluster://')).toThrow(/options\.url/);
    expect(() => new RedisStore('redis+cluster://a:1,b')).toThrow(/options\.url/);
    expect(() => new RedisStore('redis+cluster://a:1/2')).toThrow(/options\.url/);
    expect(() => new RedisStore({ cluster: { rootNodes: [] } })).toThrow(/options\.cluster\.rootNodes/);
    expect(() => new RedisStore({ cluster: { rootNodes: ['http://a:1'] } })).toThrow(/options\.cluster\.rootNodes/);
    expect(() => new RedisStore({ cluster: { rootNodes: [{ host: 'a', port: 0 }] } })).toThrow(
      /options\.cluster\.rootNodes/,
    );
    expect(() => new RedisStore({ cluster: { rootNodes: ['a:1'], nodeAddressMap: 5 as never } })).toThrow(
      /options\.cluster\.nodeAddressMap/,
    );
    expect(() => new RedisStore({ url, cluster: { rootNodes: ['a:1'] } })).toThrow(/one of options\.url/);
  });
});
