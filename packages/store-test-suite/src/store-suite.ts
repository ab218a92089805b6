import { randomUUID } from 'node:crypto';
import type { Installation, SecretStore, StoreChange } from '@connect-jwt/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

/** Makes a new store instance; with `sharedStorage`, every instance sees the same data. */
export type StoreFactory = () => SecretStore | Promise<SecretStore>;

export interface StoreSuiteOptions {
  /**
   * Whether two instances from the factory share their data (true for a server or a file, the
   * default). A MemoryStore keeps its records in its own instance: the suite then checks that a
   * second instance starts empty instead.
   */
  sharedStorage?: boolean;
}

const STORE_UNAVAILABLE = 'ERR_STORE_UNAVAILABLE';
// The stores shipped for a fleet: each must keep remember/recall/forget (the suite checks by class name).
const NETWORKED_STORES = new Set(['RedisStore', 'PostgresStore', 'SqliteStore']);
// The stores shipped here that must have replace (compare-and-set), which a re-encrypt relies on.
const REPLACING_STORES = new Set(['MemoryStore', ...NETWORKED_STORES]);

/** A full install payload as a product sends it, with the fields a store must keep as they are. */
export function sampleInstallation(clientKey: string, overrides: Partial<Installation> = {}): Installation {
  return {
    key: 'com.example.addon',
    clientKey,
    publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
    sharedSecret: `secret-${clientKey}-${'x'.repeat(32)}`,
    serverVersion: '100225',
    pluginsVersion: '1001.0.0-SNAPSHOT',
    baseUrl: 'https://example.atlassian.net/wiki',
    displayUrl: 'https://wiki.example.com',
    productType: 'confluence',
    description: 'Atlassian Confluence at https://example.atlassian.net/wiki',
    eventType: 'installed',
    oauthClientId: 'abc123',
    ...overrides,
  };
}

/** A Forge installation id no other test used, as an ARI (as Forge and the `installed` payload send it). */
export function uniqueInstallationId(): string {
  return `ari:cloud:ecosystem::installation/${randomUUID()}`;
}

let counter = 0;
/** A clientKey no other test (or earlier run) used. */
export function uniqueClientKey(label = 'key'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * The conformance suite every SecretStore runs: registers one vitest `describe` block.
 * Each instance the factory made is closed after its test.
 */
export function storeSuite(name: string, factory: StoreFactory, options: StoreSuiteOptions = {}): void {
  const sharedStorage = options.sharedStorage ?? true;

  describe(`${name} (store conformance)`, () => {
    const opened: SecretStore[] = [];
    const open = async (): Promise<SecretStore> => {
      const store = await factory();
      opened.push(store);
      return store;
    };

    afterEach(async () => {
      const stores = opened.splice(0);
      await Promise.allSettled(stores.map((store) => store.close?.()));
    });

    it('round-trips a full installation, unicode and large fields included', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('round-trip-ü');
      const installation = sampleInstallation(clientKey, {
        sharedSecret: `ß€𝄞 secret ✓ ${'q'.repeat(200)}`,
        description: 'Ωμέγα — 日本語 — עברית — emoji 🚀👩‍💻 — combining é',
        largeField: 'L'.repeat(256 * 1024),
        nested: { list: [1, 'two', { three: true }], empty: {}, nothing: null },
      });
      await store.set(installation);
      expect(await store.get(clientKey)).toEqual(installation);
    });

    it('answers undefined for an unknown clientKey', async () => {
      const store = await open();
      expect(await store.get(uniqueClientKey('unknown'))).toBeUndefined();
    });

    it('upserts: a second set replaces the installation', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('upsert');
      await store.set(sampleInstallation(clientKey, { sharedSecret: 'first', extra: 'kept?' }));
      const second = sampleInstallation(clientKey, { sharedSecret: 'second', baseUrl: 'https://moved.atlassian.net' });
      await store.set(second);
      // Replaced as a whole: fields of the first record that the second lacks are gone.
      expect(await store.get(clientKey)).toEqual(second);
    });

    it('deletes an installation', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('delete');
      await store.set(sampleInstallation(clientKey));
      await store.delete(clientKey);
      expect(await store.get(clientKey)).toBeUndefined();
    });

    it("refuses a malformed set with a TypeError naming the call, ACE's set(clientKey, record) first", async () => {
      const store = await open();
      const clientKey = uniqueClientKey('ace-style');
      const aceStyle = (store.set as (...args: unknown[]) => Promise<void>)(clientKey, sampleInstallation(clientKey));
      await expect(aceStyle).rejects.toThrow(
        /set: takes one installation record, store\.set\(\{ clientKey,.*store\.set\(clientKey, record\)/,
      );
      for (const bad of [null, [], { sharedSecret: 's', baseUrl: 'https://x' }, { clientKey: '' }]) {
        await expect(store.set(bad as never)).rejects.toThrow(TypeError);
      }
      expect(await store.get(clientKey)).toBeUndefined();
    });

    it('deleting an unknown clientKey is not an error', async () => {
      const store = await open();
      await expect(store.delete(uniqueClientKey('never-stored'))).resolves.toBeUndefined();
    });

    it('50 concurrent upserts of one key leave one whole installation', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('concurrent');
      const versions = Array.from({ length: 50 }, (_, i) =>
        sampleInstallation(clientKey, { sharedSecret: `secret-${i}`, serverVersion: String(i) }),
      );
      await Promise.all(versions.map((installation) => store.set(installation)));
      const stored = await store.get(clientKey);
      expect(stored).toBeDefined();
      // One of the writes, whole: never fields of two writes mixed.
      const index = Number(stored?.serverVersion);
      expect(stored).toEqual(versions[index]);
    });

    it('does not let a caller change the stored installation by mutating what it got', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('copy');
      const installation = sampleInstallation(clientKey);
      await store.set(installation);
      const first = await store.get(clientKey);
      if (first) first.sharedSecret = 'mutated';
      installation.sharedSecret = 'mutated-input';
      expect((await store.get(clientKey))?.sharedSecret).toBe(sampleInstallation(clientKey).sharedSecret);
    });

    if (sharedStorage) {
      it("a second instance sees the first one's writes", async () => {
        const first = await open();
        const second = await open();
        const clientKey = uniqueClientKey('shared');
        expect(await second.get(clientKey)).toBeUndefined();
        const installation = sampleInstallation(clientKey);
        await first.set(installation);
        expect(await second.get(clientKey)).toEqual(installation);
        const reinstall = sampleInstallation(clientKey, { sharedSecret: 'rotated' });
        await second.set(reinstall);
        expect(await first.get(clientKey)).toEqual(reinstall);
      });
    } else {
      it('a second instance starts empty (storage is per instance)', async () => {
        const first = await open();
        const second = await open();
        const clientKey = uniqueClientKey('isolated');
        await first.set(sampleInstallation(clientKey));
        expect(await second.get(clientKey)).toBeUndefined();
      });
    }

    describe('getByInstallationId (how a Forge call finds its Connect installation)', () => {
      const lookup = (store: SecretStore, installationId: string) => {
        if (typeof store.getByInstallationId !== 'function') throw new Error('the store has no getByInstallationId');
        return store.getByInstallationId(installationId);
      };
      const bare = (ari: string) => ari.slice(ari.lastIndexOf('/') + 1);

      it('finds an installation by its installationId, whether stored or asked as an ARI or a bare uuid', async () => {
        const store = await open();
        const asAri = sampleInstallation(uniqueClientKey('by-ari'), { installationId: uniqueInstallationId() });
        const asUuid = sampleInstallation(uniqueClientKey('by-uuid'), {
          installationId: bare(uniqueInstallationId()),
        });
        await store.set(asAri);
        await store.set(asUuid);
        await store.set(sampleInstallation(uniqueClientKey('no-id')));
        const ari = asAri.installationId as string;
        const uuid = asUuid.installationId as string;
        expect(await lookup(store, ari)).toEqual(asAri);
        expect(await lookup(store, bare(ari))).toEqual(asAri);
        expect(await lookup(store, bare(ari).toUpperCase())).toEqual(asAri);
        expect(await lookup(store, uuid)).toEqual(asUuid);
        expect(await lookup(store, `ari:cloud:ecosystem::installation/${uuid}`)).toEqual(asUuid);
      });

      it('answers undefined for an unknown installationId', async () => {
        const store = await open();
        expect(await lookup(store, uniqueInstallationId())).toBeUndefined();
        expect(await lookup(store, 'not-a-uuid')).toBeUndefined();
      });

      it('follows reinstalls and deletes: an id moved or removed no longer finds the old installation', async () => {
        const store = await open();
        const clientKey = uniqueClientKey('moved');
        const first = uniqueInstallationId();
        const second = uniqueInstallationId();
        await store.set(sampleInstallation(clientKey, { installationId: first }));
        const reinstall = sampleInstallation(clientKey, { installationId: second, sharedSecret: 'rotated' });
        await store.set(reinstall);
        expect(await lookup(store, first)).toBeUndefined();
        expect(await lookup(store, second)).toEqual(reinstall);
        await store.delete(clientKey);
        expect(await lookup(store, second)).toBeUndefined();
      });

      it('does not let a caller change the stored installation by mutating what it got', async () => {
        const store = await open();
        const installation = sampleInstallation(uniqueClientKey('lookup-copy'), {
          installationId: uniqueInstallationId(),
        });
        await store.set(installation);
        const found = await lookup(store, installation.installationId as string);
        if (found) found.sharedSecret = 'mutated';
        expect((await lookup(store, installation.installationId as string))?.sharedSecret).toBe(
          installation.sharedSecret,
        );
      });

      if (sharedStorage) {
        it("a second instance finds the first one's installation", async () => {
          const first = await open();
          const second = await open();
          const installation = sampleInstallation(uniqueClientKey('lookup-shared'), {
            installationId: uniqueInstallationId(),
          });
          await first.set(installation);
          expect(await lookup(second, installation.installationId as string)).toEqual(installation);
        });
      }

      it('after close(), the lookup fails with ERR_STORE_UNAVAILABLE', async () => {
        const store = await open();
        await store.close?.();
        await expect(lookup(store, uniqueInstallationId())).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
      });
    });

    describe('rememberOnce (remember a value under a key until it expires, first writer wins)', () => {
      const remember = (store: SecretStore, key: string, value: string, ttlMs = 60_000) => {
        if (typeof store.rememberOnce !== 'function') throw new Error(`${name} has no rememberOnce`);
        return store.rememberOnce(key, value, ttlMs);
      };

      it('answers the value it stored, then that value to every later call, whatever they pass', async () => {
        const store = await open();
        const key = uniqueClientKey('once');
        expect(await remember(store, key, 'body-a')).toBe('body-a');
        expect(await remember(store, key, 'body-a')).toBe('body-a');
        expect(await remember(store, key, 'body-b')).toBe('body-a');
        // Other keys are independent, and remembering is not an installation.
        expect(await remember(store, uniqueClientKey('once-other'), 'body-b')).toBe('body-b');
        expect(await store.get(key)).toBeUndefined();
      });

      it('forgets a value once its time is up, then takes a new one', async () => {
        const store = await open();
        const key = uniqueClientKey('once-expiry');
        expect(await remember(store, key, 'first', 150)).toBe('first');
        expect(await remember(store, key, 'second', 150)).toBe('first');
        await eventually(async () => expect(await remember(store, key, 'second', 60_000)).toBe('second'), {
          within: 5000,
        });
        expect(await remember(store, key, 'third')).toBe('second');
      });

      it('20 concurrent calls with different values agree on one winner', async () => {
        const stores = sharedStorage ? [await open(), await open()] : [await open()];
        const key = uniqueClientKey('once-race');
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => remember(stores[i % stores.length] as SecretStore, key, `v${i}`)),
        );
        expect(new Set(answers).size).toBe(1);
        expect(answers[0]).toMatch(/^v\d+$/);
      });

      if (sharedStorage) {
        it('holds across instances', async () => {
          const first = await open();
          const second = await open();
          const key = uniqueClientKey('once-shared');
          expect(await remember(first, key, 'from-first')).toBe('from-first');
          expect(await remember(second, key, 'from-second')).toBe('from-first');
        });
      }

      it('fails with ERR_STORE_UNAVAILABLE after close()', async () => {
        const store = await open();
        await store.close?.();
        await expect(remember(store, uniqueClientKey('once-closed'), 'x')).rejects.toMatchObject({
          code: STORE_UNAVAILABLE,
        });
      });
    });

    describe('replace (compare-and-set: write only over the record expected)', () => {
      type Replacing = SecretStore & Required<Pick<SecretStore, 'replace'>>;
      const withReplace = (title: string, test: (store: Replacing) => Promise<void>) =>
        it(title, async () => {
          const store = await open();
          // A wrapper over a store without it, or a custom store, may go without: then nothing to check.
          if (typeof store.replace !== 'function') return;
          await test(store as Replacing);
        });

      it('the shipped stores have it', async () => {
        const store = await open();
        if (REPLACING_STORES.has(store.constructor.name)) expect(typeof store.replace).toBe('function');
      });

      withReplace('writes when the stored record is the one expected', async (store) => {
        const clientKey = uniqueClientKey('replace');
        await store.set(sampleInstallation(clientKey, { sharedSecret: 'first' }));
        const expected = (await store.get(clientKey)) as Installation;
        const next = sampleInstallation(clientKey, { sharedSecret: 'second', baseUrl: 'https://moved.atlassian.net' });
        expect(await store.replace(expected, next)).toBe(true);
        expect(await store.get(clientKey)).toEqual(next);
        // And again from what it wrote.
        const third = sampleInstallation(clientKey, { sharedSecret: 'third' });
        expect(await store.replace((await store.get(clientKey)) as Installation, third)).toBe(true);
        expect(await store.get(clientKey)).toEqual(third);
      });

      withReplace('refuses, leaving the row as it is, once another write landed', async (store) => {
        const clientKey = uniqueClientKey('replace-stale');
        await store.set(sampleInstallation(clientKey, { sharedSecret: 'listed' }));
        const expected = (await store.get(clientKey)) as Installation;
        const reinstall = sampleInstallation(clientKey, { sharedSecret: 'reinstalled' });
        await store.set(reinstall);
        expect(await store.replace(expected, sampleInstallation(clientKey, { sharedSecret: 'rewritten' }))).toBe(false);
        expect(await store.get(clientKey)).toEqual(reinstall);
      });

      withReplace('refuses for a missing row, and after a delete, writing nothing', async (store) => {
        const clientKey = uniqueClientKey('replace-missing');
        const record = sampleInstallation(clientKey);
        expect(await store.replace(record, sampleInstallation(clientKey, { sharedSecret: 'x' }))).toBe(false);
        expect(await store.get(clientKey)).toBeUndefined();
        await store.set(record);
        const expected = (await store.get(clientKey)) as Installation;
        await store.delete(clientKey);
        expect(await store.replace(expected, sampleInstallation(clientKey, { sharedSecret: 'y' }))).toBe(false);
        expect(await store.get(clientKey)).toBeUndefined();
      });

      withReplace('keeps the installationId lookup in step, like set', async (store) => {
        if (typeof store.getByInstallationId !== 'function') return;
        const clientKey = uniqueClientKey('replace-id');
        const [before, after] = [uniqueInstallationId(), uniqueInstallationId()];
        await store.set(sampleInstallation(clientKey, { installationId: before }));
        const next = sampleInstallation(clientKey, { installationId: after, sharedSecret: 'moved' });
        expect(await store.replace((await store.get(clientKey)) as Installation, next)).toBe(true);
        expect(await store.getByInstallationId(after)).toEqual(next);
        expect(await store.getByInstallationId(before)).toBeUndefined();
      });

      withReplace('announces a write on the change feed, like set', async (store) => {
        if (typeof store.watch !== 'function') return;
        const clientKey = uniqueClientKey('replace-feed');
        await store.set(sampleInstallation(clientKey));
        const expected = (await store.get(clientKey)) as Installation;
        const heard: StoreChange[] = [];
        let up = false;
        const unwatch = await store.watch({
          change: (change) => heard.push(change),
          up: () => {
            up = true;
          },
          down() {},
        });
        try {
          await eventually(async () => expect(up).toBe(true), { within: 5000 });
          const installationId = uniqueInstallationId();
          expect(await store.replace(expected, sampleInstallation(clientKey, { installationId }))).toBe(true);
          await eventually(async () => expect(heard).toContainEqual({ clientKey, installationId }), {
            within: 5000,
            every: 10,
          });
        } finally {
          await unwatch();
        }
      });

      withReplace('of 10 concurrent replaces from one record, exactly one writes', async (store) => {
        const clientKey = uniqueClientKey('replace-race');
        await store.set(sampleInstallation(clientKey, { sharedSecret: 'listed' }));
        const expected = (await store.get(clientKey)) as Installation;
        const others = sharedStorage ? [store, await open(), await open()] : [store];
        const nexts = Array.from({ length: 10 }, (_, index) =>
          sampleInstallation(clientKey, { sharedSecret: `contender-${index}` }),
        );
        const answers = await Promise.all(
          nexts.map((next, index) => (others[index % others.length] as Replacing).replace(expected, next)),
        );
        expect(answers.filter((written) => written)).toHaveLength(1);
        expect(await store.get(clientKey)).toEqual(nexts[answers.indexOf(true)]);
      });

      withReplace('a mistaken argument is a TypeError; after close(), ERR_STORE_UNAVAILABLE', async (store) => {
        const clientKey = uniqueClientKey('replace-args');
        const record = sampleInstallation(clientKey);
        await expect(store.replace(null as never, record)).rejects.toThrow(TypeError);
        await expect(store.replace(record, 'not a record' as never)).rejects.toThrow(TypeError);
        await expect(store.replace(record, sampleInstallation(uniqueClientKey('other')))).rejects.toThrow(
          /replace: expected and next must have the same clientKey/,
        );
        await store.close?.();
        await expect(store.replace(record, record)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
      });
    });

    describe('remember, recall and forget (short-lived values a fleet shares)', () => {
      type Remembering = Required<Pick<SecretStore, 'remember' | 'recall' | 'forget' | 'rememberOnce'>>;
      const remembering = (store: SecretStore): Remembering => {
        const { remember, recall, forget, rememberOnce } = store;
        if (typeof remember !== 'function' || typeof recall !== 'function' || typeof forget !== 'function') {
          throw new Error(`${name} has no remember/recall/forget`);
        }
        if (typeof rememberOnce !== 'function') throw new Error(`${name} has no rememberOnce`);
        return store as SecretStore & Remembering;
      };

      it('the shipped networked stores have them', async () => {
        const store = await open();
        const shipped = NETWORKED_STORES.has(store.constructor.name);
        // Other stores (a wrapper, a custom store) may go without: then this section checks nothing.
        if (shipped) expect(() => remembering(store)).not.toThrow();
      });

      const withRemembering = (title: string, test: (store: Remembering) => Promise<void>) =>
        it(title, async () => {
          const store = await open();
          if (typeof store.remember !== 'function') return;
          await test(remembering(store));
        });

      withRemembering('recall answers what remember stored; remember replaces; forget removes', async (store) => {
        const key = uniqueClientKey('remember');
        expect(await store.recall(key)).toBeUndefined();
        await store.remember(key, 'token-1', 60_000);
        expect(await store.recall(key)).toBe('token-1');
        await store.remember(key, 'token-2', 60_000);
        expect(await store.recall(key)).toBe('token-2');
        await store.forget(key);
        expect(await store.recall(key)).toBeUndefined();
        await expect(store.forget(uniqueClientKey('never-remembered'))).resolves.toBeUndefined();
      });

      withRemembering('a value is gone once its time is up', async (store) => {
        const key = uniqueClientKey('remember-expiry');
        await store.remember(key, 'short', 150);
        expect(await store.recall(key)).toBe('short');
        await eventually(async () => expect(await store.recall(key)).toBeUndefined(), { within: 5000 });
        // Remembering again after expiry works like a first time, and a longer ttl replaces a shorter.
        await store.remember(key, 'again', 150);
        await store.remember(key, 'longer', 60_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await store.recall(key)).toBe('longer');
      });

      withRemembering('one keyspace with rememberOnce, apart from installations', async (store) => {
        const key = uniqueClientKey('remember-once');
        expect(await store.rememberOnce(key, 'first', 60_000)).toBe('first');
        expect(await store.recall(key)).toBe('first');
        await store.remember(key, 'replaced', 60_000);
        expect(await store.rememberOnce(key, 'ignored', 60_000)).toBe('replaced');
        await store.forget(key);
        expect(await store.rememberOnce(key, 'free-again', 60_000)).toBe('free-again');
        expect(await (store as unknown as SecretStore).get(key)).toBeUndefined();
      });

      withRemembering('a mistaken argument is a TypeError, not a store outage', async (store) => {
        await expect(store.remember('', 'v', 1000)).rejects.toThrow(TypeError);
        await expect(store.remember('k', 5 as never, 1000)).rejects.toThrow(TypeError);
        await expect(store.remember('k', 'v', 0)).rejects.toThrow(TypeError);
        await expect(store.remember('k', 'v', Number.NaN)).rejects.toThrow(TypeError);
        await expect(store.recall('')).rejects.toThrow(TypeError);
        await expect(store.forget(undefined as never)).rejects.toThrow(TypeError);
      });

      if (sharedStorage) {
        it('another instance recalls what one remembered, and sees it forgotten', async () => {
          const first = await open();
          const second = await open();
          if (typeof first.remember !== 'function') return;
          const key = uniqueClientKey('remember-shared');
          await remembering(first).remember(key, 'shared', 60_000);
          expect(await remembering(second).recall(key)).toBe('shared');
          await remembering(second).forget(key);
          expect(await remembering(first).recall(key)).toBeUndefined();
        });
      }

      it('each fails with ERR_STORE_UNAVAILABLE after close()', async () => {
        const store = await open();
        if (typeof store.remember !== 'function') return;
        const closed = remembering(store);
        await store.close?.();
        const key = uniqueClientKey('remember-closed');
        await expect(closed.remember(key, 'x', 1000)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
        await expect(closed.recall(key)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
        await expect(closed.forget(key)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
      });
    });

    it('after close(), every operation fails with ERR_STORE_UNAVAILABLE and close() again is harmless', async () => {
      const store = await open();
      const clientKey = uniqueClientKey('closed');
      await store.set(sampleInstallation(clientKey));
      await store.close?.();
      await expect(store.get(clientKey)).rejects.toMatchObject({ code: STORE_UNAVAILABLE, status: 503 });
      await expect(store.set(sampleInstallation(clientKey))).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
      await expect(store.delete(clientKey)).rejects.toMatchObject({ code: STORE_UNAVAILABLE });
      await expect(store.close?.()).resolves.toBeUndefined();
    });
  });
}
