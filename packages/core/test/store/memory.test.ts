import { MemoryStore } from '@connect-jwt/core';
import { installationsSuite, storeSuite } from '@connect-jwt/store-test-suite';
import { describe, expect, it } from 'vitest';

storeSuite('MemoryStore', () => new MemoryStore(), { sharedStorage: false });
installationsSuite('MemoryStore', () => new MemoryStore());

describe('MemoryStore remembered values and change feed', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('remember replaces, recall reads until expiry, forget removes; same keyspace as rememberOnce', async () => {
    const store = new MemoryStore();
    await store.remember('k', 'one', 60_000);
    await store.remember('k', 'two', 60_000);
    expect(await store.recall('k')).toBe('two');
    expect(await store.rememberOnce('k', 'three', 60_000)).toBe('two');
    await store.forget('k');
    expect(await store.recall('k')).toBeUndefined();
    await store.forget('never-there');
    await store.remember('short', 'v', 20);
    await sleep(40);
    expect(await store.recall('short')).toBeUndefined();
  });

  it('refuses bad arguments with a TypeError naming the operation', async () => {
    const store = new MemoryStore();
    await expect(store.remember('', 'v', 10)).rejects.toThrow(
      new TypeError('remember: key must be a non-empty string'),
    );
    await expect(store.remember('k', 1 as unknown as string, 10)).rejects.toThrow(/^remember: value/);
    await expect(store.remember('k', 'v', 0)).rejects.toThrow(/^remember: ttlMs/);
    await expect(store.recall(undefined as unknown as string)).rejects.toThrow(TypeError);
    await expect(store.forget('')).rejects.toThrow(/^forget: key/);
  });

  it('tells every watcher of each write before the write resolves, and stops after unsubscribing', async () => {
    const store = new MemoryStore();
    const seen: unknown[] = [];
    let ups = 0;
    const unwatch = await store.watch({ change: (c) => seen.push(c), up: () => ups++, down: () => {} });
    expect(ups).toBe(1);
    await store.set({ clientKey: 'a', sharedSecret: 's', baseUrl: 'https://a.net', installationId: 'inst-1' });
    await store.delete('a');
    expect(seen).toEqual([{ clientKey: 'a', installationId: 'inst-1' }, { clientKey: 'a' }]);
    await unwatch();
    await store.set({ clientKey: 'b', sharedSecret: 's', baseUrl: 'https://b.net' });
    expect(seen).toHaveLength(2);
    await expect(store.watch({} as never)).rejects.toThrow(TypeError);
  });
});
