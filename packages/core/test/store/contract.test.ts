import { cachedStore, encryptedStore, MemoryStore, StoreUnavailableError } from '@connect-jwt/core';
import { describe, expect, it } from 'vitest';
import { callStore, isSecretStore, storeFailure, watchWrapped } from '../../src/store/contract.js';

describe('isSecretStore', () => {
  it('asks for all three operations, not only get', () => {
    expect(isSecretStore(new MemoryStore())).toBe(true);
    const get = async () => undefined;
    expect(isSecretStore({ get })).toBe(false);
    expect(isSecretStore({ get, set: get })).toBe(false);
    expect(isSecretStore({ get, set: get, delete: get })).toBe(true);
    expect(isSecretStore(null)).toBe(false);
    expect(isSecretStore('store')).toBe(false);
  });
});

describe('storeFailure', () => {
  it('passes a StoreUnavailableError on unchanged, also one from another copy of the library', () => {
    const own = new StoreUnavailableError('down');
    expect(storeFailure(own)).toBe(own);
    const foreign = Object.assign(new Error('down elsewhere'), { code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect(storeFailure(foreign)).toBe(foreign);
  });

  it('wraps anything else as a 503 with the cause kept (a driver error is never a bad token)', () => {
    const driver = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const wrapped = storeFailure(driver);
    expect(wrapped).toBeInstanceOf(StoreUnavailableError);
    expect(wrapped.cause).toBe(driver);
    expect(wrapped.message).not.toContain('127.0.0.1');
    const typed = Object.assign(new Error('bad'), { code: 'ERR_TOKEN_EXPIRED', status: 401 });
    expect(storeFailure(typed).code).toBe('ERR_STORE_UNAVAILABLE');
  });

  it('callStore runs the operation and reports its failure as a storeFailure', async () => {
    await expect(callStore(async () => 42)).resolves.toBe(42);
    await expect(
      callStore(async () => {
        throw new Error('timeout');
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  });
});

describe('a wrapper handing on its store’s change feed', () => {
  const listener = { change() {}, up() {}, down() {} };
  const feedless = () => {
    const inner = new MemoryStore();
    return { get: inner.get.bind(inner), set: inner.set.bind(inner), delete: inner.delete.bind(inner) };
  };

  it('is absent from cachedStore and encryptedStore over a store without one, and a TypeError if called there', async () => {
    const key = Buffer.alloc(32, 7);
    for (const wrapped of [cachedStore(feedless()), encryptedStore(feedless(), key)]) {
      expect(wrapped.watch).toBeUndefined();
    }
    await expect(watchWrapped(feedless(), listener)).rejects.toThrow(TypeError);
  });

  it('is the feed itself over a store with one, and a failing feed is ERR_STORE_UNAVAILABLE', async () => {
    const memory = new MemoryStore();
    const changes: string[] = [];
    const unwatch = await watchWrapped(memory, { ...listener, change: (c) => changes.push(c.clientKey) });
    await memory.set({ clientKey: 'feed-key', sharedSecret: 's', baseUrl: 'https://example.atlassian.net' });
    expect(changes).toEqual(['feed-key']);
    await unwatch();
    const broken = { ...feedless(), watch: async () => Promise.reject(new Error('no link')) };
    await expect(watchWrapped(broken, listener)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });
});
