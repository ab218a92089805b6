import type { SecretStore } from '@connect-jwt/core';
import { sampleInstallation, uniqueClientKey } from '@connect-jwt/store-test-suite';
import { afterEach, describe, expect, it } from 'vitest';

type ValueStore = SecretStore &
  Required<Pick<SecretStore, 'remember' | 'recall' | 'forget' | 'rememberOnce' | 'get' | 'close'>>;

/**
 * remember/recall/forget against a real server, until the shared store suite has a values
 * section; then this file goes and the store's test calls that instead.
 */
export function valuesSuite(name: string, factory: () => ValueStore): void {
  describe(`${name} (remembered values)`, () => {
    const opened: ValueStore[] = [];
    const open = () => {
      const store = factory();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((store) => store.close()));
    });

    it('recalls what was remembered, replaces it on a second remember, and forgets it', async () => {
      const store = open();
      const key = uniqueClientKey('value');
      expect(await store.recall(key)).toBeUndefined();
      await store.remember(key, 'first ✓', 60_000);
      expect(await store.recall(key)).toBe('first ✓');
      await store.remember(key, 'second', 60_000);
      expect(await store.recall(key)).toBe('second');
      await store.forget(key);
      expect(await store.recall(key)).toBeUndefined();
      await store.forget(key);
    });

    it('shares one keyspace with rememberOnce, apart from installations', async () => {
      const store = open();
      const key = uniqueClientKey('shared');
      expect(await store.rememberOnce(key, 'once', 60_000)).toBe('once');
      expect(await store.recall(key)).toBe('once');
      await store.remember(key, 'replaced', 60_000);
      expect(await store.rememberOnce(key, 'ignored', 60_000)).toBe('replaced');
      await store.forget(key);
      expect(await store.rememberOnce(key, 'again', 60_000)).toBe('again');
      // A value under an installation's clientKey is not that installation.
      const clientKey = uniqueClientKey('installed');
      await store.remember(clientKey, 'not an installation', 60_000);
      expect(await store.get(clientKey)).toBeUndefined();
      await store.set(sampleInstallation(clientKey));
      expect(await store.recall(clientKey)).toBe('not an installation');
    });

    it('forgets a value once its time is up', async () => {
      const store = open();
      const key = uniqueClientKey('expiring');
      await store.remember(key, 'brief', 50);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await store.recall(key)).toBeUndefined();
    });

    it('another instance recalls the value, and sees it forgotten', async () => {
      const writer = open();
      const reader = open();
      const key = uniqueClientKey('fleet');
      await writer.remember(key, 'shared', 60_000);
      expect(await reader.recall(key)).toBe('shared');
      await reader.forget(key);
      expect(await writer.recall(key)).toBeUndefined();
    });

    it('refuses bad arguments with a TypeError naming the call, before any I/O', async () => {
      const store = open();
      await expect(store.remember('', 'v', 1000)).rejects.toThrow(TypeError);
      await expect(store.remember('k', 5 as never, 1000)).rejects.toThrow(/remember: value/);
      await expect(store.remember('k', 'v', 0)).rejects.toThrow(/remember: ttlMs/);
      await expect(store.remember('k', 'v', Number.POSITIVE_INFINITY)).rejects.toThrow(/remember: ttlMs/);
      await expect(store.recall(7 as never)).rejects.toThrow(/recall: key/);
      await expect(store.forget('')).rejects.toThrow(/forget: key/);
    });

    it('fails with ERR_STORE_UNAVAILABLE after close()', async () => {
      const store = open();
      await store.close();
      await expect(store.remember('k', 'v', 1000)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.recall('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(store.forget('k')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    });
  });
}
