import { randomBytes } from 'node:crypto';
import {
  type CachedStore,
  cachedStore,
  encryptedStore,
  type FeedStatus,
  type Installation,
  MemoryStore,
  type SecretStore,
  type StoreChangeListener,
  StoreUnavailableError,
} from '@connect-jwt/core';
import { installationsSuite, storeSuite } from '@connect-jwt/store-test-suite';
import { describe, expect, it } from 'vitest';

storeSuite('cachedStore(MemoryStore)', () => cachedStore(new MemoryStore()), { sharedStorage: false });
installationsSuite('cachedStore(MemoryStore)', () => cachedStore(new MemoryStore()), { count: 2000 });

/** A real MemoryStore that counts backend lookups and can hold them until released. */
class CountingStore implements SecretStore {
  readonly backend = new MemoryStore();
  gets = 0;
  failWith: Error | undefined;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    this.gets++;
    const gate = this.#gate;
    const result = await this.backend.get(clientKey);
    if (gate) await gate;
    if (this.failWith) throw this.failWith;
    return result;
  }

  set(installation: Installation): Promise<void> {
    return this.backend.set(installation);
  }

  delete(clientKey: string): Promise<void> {
    return this.backend.delete(clientKey);
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

const record = (clientKey: string, sharedSecret = 's3cret'): Installation => ({
  clientKey,
  sharedSecret,
  baseUrl: 'https://example.atlassian.net',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cachedStore', () => {
  it('serves a hit from memory without asking the backend again', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend);
    await backend.set(record('a'));
    expect(await store.get('a')).toEqual(record('a'));
    expect(await store.get('a')).toEqual(record('a'));
    expect(backend.gets).toBe(1);
  });

  it('serves a stale record within the TTL when another writer changed the backend, and the new one after it', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 30 });
    await backend.set(record('a', 'old'));
    expect((await store.get('a'))?.sharedSecret).toBe('old');
    await backend.set(record('a', 'new'));
    await backend.delete('a');
    await backend.set(record('a', 'new'));
    await sleep(80);
    expect((await store.get('a'))?.sharedSecret).toBe('new');
  });

  it('keeps serving the cached record within a long TTL (a write elsewhere is seen only after it)', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 60_000 });
    await backend.set(record('a', 'old'));
    await store.get('a');
    await backend.delete('a');
    expect((await store.get('a'))?.sharedSecret).toBe('old');
  });

  it('set and delete through the cache invalidate it', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 60_000 });
    await store.set(record('a', 'one'));
    expect((await store.get('a'))?.sharedSecret).toBe('one');
    await store.set(record('a', 'two'));
    expect((await store.get('a'))?.sharedSecret).toBe('two');
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
  });

  it('does not cache misses', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend);
    expect(await store.get('later')).toBeUndefined();
    await backend.set(record('later'));
    expect(await store.get('later')).toEqual(record('later'));
    expect(backend.gets).toBe(2);
  });

  it('coalesces concurrent misses of one key into one backend call', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend);
    await backend.set(record('hot'));
    backend.hold();
    const lookups = Array.from({ length: 20 }, () => store.get('hot'));
    backend.release();
    const results = await Promise.all(lookups);
    expect(backend.gets).toBe(1);
    for (const result of results) expect(result).toEqual(record('hot'));
    // Each caller gets its own copy.
    expect(new Set(results).size).toBe(20);
  });

  it('does not cache what a lookup read while a write to the same store was in flight', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 60_000 });
    await backend.set(record('a', 'old'));
    backend.hold();
    const lookup = store.get('a');
    await store.set(record('a', 'new'));
    backend.release();
    await lookup;
    expect((await store.get('a'))?.sharedSecret).toBe('new');
  });

  it('drops the least recently used record beyond max', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { max: 10 });
    for (let i = 0; i <= 10; i++) await backend.set(record(`k${i}`));
    for (let i = 0; i < 10; i++) await store.get(`k${i}`);
    await store.get('k0'); // a hit: k0 becomes the most recently used, k1 the least
    expect(backend.gets).toBe(10);
    await store.get('k10'); // the eleventh record evicts k1
    await store.get('k0');
    expect(backend.gets).toBe(11);
    await store.get('k1');
    expect(backend.gets).toBe(12);
  });

  it('never evicts a record in steady use, however many others pass through', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { max: 10 });
    await backend.set(record('hot'));
    for (let i = 0; i < 100; i++) await backend.set(record(`cold${i}`));
    await store.get('hot');
    for (let i = 0; i < 100; i++) {
      await store.get(`cold${i}`);
      await store.get('hot');
    }
    expect(backend.gets).toBe(101);
  });

  it('a mutated result does not change the cached record', async () => {
    const store = cachedStore(new MemoryStore());
    await store.set(record('a'));
    const first = await store.get('a');
    if (first) first.sharedSecret = 'mutated';
    expect((await store.get('a'))?.sharedSecret).toBe('s3cret');
  });

  it('a failing backend raises StoreUnavailableError with the cause, and the failure is not cached', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend);
    await backend.set(record('a'));
    const cause = new Error('ECONNREFUSED');
    backend.failWith = cause;
    const failure = await store.get('a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503, cause });
    backend.failWith = undefined;
    expect(await store.get('a')).toEqual(record('a'));
  });

  it('passes on the TypeError of a store refusing a malformed record', async () => {
    const refusing = {
      get: async () => undefined,
      set: async () => {
        throw new TypeError('set: installation.clientKey must be a string');
      },
      delete: async () => {},
    };
    await expect(cachedStore(refusing).set({} as Installation)).rejects.toThrow(TypeError);
  });

  it('clear() forgets cached records', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend);
    await backend.set(record('a'));
    await store.get('a');
    store.clear();
    await store.get('a');
    expect(backend.gets).toBe(2);
  });

  it('rejects bad options at setup with a TypeError naming the option', () => {
    expect(() => cachedStore({} as SecretStore)).toThrow(/cachedStore: store/);
    expect(() => cachedStore(new MemoryStore(), { ttl: -1 })).toThrow(/options\.ttl/);
    expect(() => cachedStore(new MemoryStore(), { ttl: Number.NaN })).toThrow(TypeError);
    expect(() => cachedStore(new MemoryStore(), { max: 0 })).toThrow(/options\.max/);
    expect(() => cachedStore(new MemoryStore(), { max: 1.5 })).toThrow(TypeError);
    expect(() => cachedStore(new MemoryStore(), { onFeedStatus: 'log' as never })).toThrow(/options\.onFeedStatus/);
  });
});

/**
 * A real MemoryStore whose feed the test can cut and restore: `down()`/`up()` report to every
 * subscriber as a networked store does when it loses and regains its subscription. Counts reads.
 */
class FeedStore implements SecretStore {
  readonly backend = new MemoryStore();
  readonly listeners = new Set<StoreChangeListener>();
  gets = 0;
  unsubscribed = 0;

  async get(clientKey: string): Promise<Installation | undefined> {
    this.gets++;
    return this.backend.get(clientKey);
  }
  getByInstallationId(installationId: string): Promise<Installation | undefined> {
    return this.backend.getByInstallationId(installationId);
  }
  set(installation: Installation): Promise<void> {
    return this.backend.set(installation);
  }
  delete(clientKey: string): Promise<void> {
    return this.backend.delete(clientKey);
  }
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    const unwatch = await this.backend.watch(listener);
    return async () => {
      this.unsubscribed++;
      this.listeners.delete(listener);
      await unwatch();
    };
  }
  down(): void {
    for (const listener of this.listeners) listener.down(new Error('connection lost'));
  }
  up(): void {
    for (const listener of this.listeners) listener.up();
  }
  close(): Promise<void> {
    return this.backend.close();
  }
}

describe('cachedStore over a store with a change feed', () => {
  const quiet = { onFeedStatus: () => {} };
  /**
   * Caches `clientKey`: the first lookup subscribes, and a read that overlapped the feed coming up
   * is not kept (the first `up` flushes); the second is. Then counts reads from zero.
   */
  const warm = async (store: SecretStore, backend: FeedStore, clientKey: string) => {
    await store.get(clientKey);
    await store.get(clientKey);
    backend.gets = 0;
  };

  it('a write through one instance evicts the record in another at once, whatever the ttl', async () => {
    const shared = new MemoryStore();
    const a = cachedStore(shared, { ttl: 3_600_000, ...quiet });
    const b = cachedStore(shared, { ttl: 3_600_000, ...quiet });
    await b.set(record('k', 'old'));
    expect((await a.get('k'))?.sharedSecret).toBe('old');
    await b.set(record('k', 'new'));
    expect((await a.get('k'))?.sharedSecret).toBe('new');
    await b.delete('k');
    expect(await a.get('k')).toBeUndefined();
  });

  it('serves hits from memory while the feed is up, past the ttl', async () => {
    const backend = new FeedStore();
    const store = cachedStore(backend, { ttl: 10, ...quiet });
    await backend.set(record('k'));
    await warm(store, backend, 'k');
    await sleep(30);
    await store.get('k');
    expect(backend.gets).toBe(0);
  });

  it('evicts the installationId mapping with the record', async () => {
    const shared = new MemoryStore();
    const a = cachedStore(shared, quiet) as Required<CachedStore>;
    const b = cachedStore(shared, quiet);
    await b.set({ ...record('k', 'old'), installationId: 'inst-old' });
    expect((await a.getByInstallationId('inst-old'))?.sharedSecret).toBe('old');
    await b.set({ ...record('k', 'new'), installationId: 'inst-new' });
    expect(await a.getByInstallationId('inst-old')).toBeUndefined();
    expect((await a.getByInstallationId('inst-new'))?.sharedSecret).toBe('new');
    await b.delete('k');
    expect(await a.getByInstallationId('inst-new')).toBeUndefined();
  });

  it('subscribes on first use, not when made', async () => {
    const backend = new FeedStore();
    const store = cachedStore(backend, quiet);
    await sleep(5);
    expect(backend.listeners.size).toBe(0);
    await store.get('k');
    expect(backend.listeners.size).toBe(1);
    await store.get('k');
    expect(backend.listeners.size).toBe(1);
    await store.close();
    expect(backend.listeners.size).toBe(0);
  });

  it('while the feed is down: the ttl applies, said once; back up: flushed, said once', async () => {
    const backend = new FeedStore();
    const statuses: FeedStatus[] = [];
    const store = cachedStore(backend, { ttl: 50, onFeedStatus: (status) => statuses.push(status) });
    await backend.set(record('k'));
    await warm(store, backend, 'k');
    backend.down();
    backend.down();
    expect(statuses.map((status) => status.state)).toEqual(['down']);
    await store.get('k');
    expect(backend.gets).toBe(0); // within the ttl
    await sleep(80);
    await store.get('k');
    expect(backend.gets).toBe(1); // past it: the backend again
    await backend.backend.set(record('k', 'changed-while-down'));
    backend.up();
    expect(statuses.map((status) => status.state)).toEqual(['down', 'up']);
    expect((await store.get('k'))?.sharedSecret).toBe('changed-while-down');
    expect(backend.gets).toBe(2);
    await store.close();
    expect(backend.unsubscribed).toBe(1);
  });

  it('a lookup that overlapped a change does not cache what it read', async () => {
    const shared = new MemoryStore();
    const slow: SecretStore = {
      get: async (clientKey) => {
        const found = await shared.get(clientKey);
        await sleep(20);
        return found;
      },
      set: (installation) => shared.set(installation),
      delete: (clientKey) => shared.delete(clientKey),
      watch: (listener) => shared.watch(listener),
    };
    const a = cachedStore(slow, quiet);
    await shared.set(record('k', 'old'));
    const reading = a.get('k');
    await shared.set(record('k', 'new'));
    expect((await reading)?.sharedSecret).toBe('old');
    expect((await a.get('k'))?.sharedSecret).toBe('new');
  });

  it('passes remember, recall, forget and watch through; a wrapper lacks those its store lacks', async () => {
    const store = cachedStore(new MemoryStore(), quiet);
    await store.remember?.('v', 'value', 60_000);
    expect(await store.recall?.('v')).toBe('value');
    await store.forget?.('v');
    expect(await store.recall?.('v')).toBeUndefined();
    const changes: string[] = [];
    await store.watch?.({ change: (c) => changes.push(c.clientKey), up: () => {}, down: () => {} });
    await store.set(record('w'));
    expect(changes).toEqual(['w']);
    await expect(store.remember?.('', 'x', 1)).rejects.toThrow(TypeError);

    const plain = cachedStore(new CountingStore());
    for (const name of ['remember', 'recall', 'forget', 'watch'] as const) expect(plain[name]).toBeUndefined();
  });
});

describe('cachedStore.replace', () => {
  it('passes it through and evicts the key, so the next read sees the write even without a feed', async () => {
    const backend = new MemoryStore();
    // No watch: only replace's own eviction can keep this cache right.
    const feedless: SecretStore = {
      get: (clientKey) => backend.get(clientKey),
      set: (installation) => backend.set(installation),
      delete: (clientKey) => backend.delete(clientKey),
      replace: (expected, next) => backend.replace(expected, next),
    };
    const store = cachedStore(feedless, { ttl: 3_600_000 });
    await store.set(record('k', 'old'));
    const expected = (await store.get('k')) as Installation;
    expect(await store.replace?.(expected, record('k', 'new'))).toBe(true);
    expect((await store.get('k'))?.sharedSecret).toBe('new');
    expect(await store.replace?.(expected, record('k', 'stale'))).toBe(false);
    expect((await store.get('k'))?.sharedSecret).toBe('new');
  });

  it('a wrapper over a store without replace has none, encrypted or cached', async () => {
    const plain = new CountingStore();
    expect(cachedStore(plain).replace).toBeUndefined();
    expect(encryptedStore(plain, randomBytes(32)).replace).toBeUndefined();
    expect(typeof cachedStore(encryptedStore(new MemoryStore(), randomBytes(32))).replace).toBe('function');
  });
});

describe('cachedStore.revalidate', () => {
  it('reads the backend again and caches what it finds; one read in flight, one per second per key', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 3_600_000 });
    await backend.set(record('k', 'old'));
    await store.get('k');
    await backend.set(record('k', 'new')); // behind the cache's back: no feed
    const [first, second] = await Promise.all([store.revalidate('k'), store.revalidate('k')]);
    expect([first?.sharedSecret, second?.sharedSecret]).toEqual(['new', 'new']);
    expect(backend.gets).toBe(2);
    expect((await store.get('k'))?.sharedSecret).toBe('new');
    // Within the second: what is cached, no read.
    await backend.set(record('k', 'newer'));
    for (let i = 0; i < 100; i++) expect((await store.revalidate('k'))?.sharedSecret).toBe('new');
    expect(backend.gets).toBe(2);
    await sleep(1050);
    expect((await store.revalidate('k'))?.sharedSecret).toBe('newer');
    expect(backend.gets).toBe(3);
  });

  it('forgets a record the backend no longer holds', async () => {
    const backend = new CountingStore();
    const store = cachedStore(backend, { ttl: 3_600_000 });
    await backend.set(record('k'));
    await store.get('k');
    await backend.delete('k');
    expect(await store.revalidate('k')).toBeUndefined();
    expect(await store.get('k')).toBeUndefined();
  });
});
