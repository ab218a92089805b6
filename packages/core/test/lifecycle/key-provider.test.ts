import { InvalidInstallError, StoreUnavailableError } from '@connect-jwt/core';
import { type KeyServer, startKeyServer } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstallKeyProvider } from '../../src/lifecycle/key-provider.js';

let keyServer: KeyServer;
beforeAll(async () => {
  keyServer = await startKeyServer();
});
afterAll(() => keyServer.close());

const provider = (overrides: Partial<Parameters<typeof createInstallKeyProvider>[0]> = {}) =>
  createInstallKeyProvider({
    keyServerUrl: keyServer.url,
    timeoutMs: 2000,
    ttlMs: 60_000,
    maxEntries: 10,
    ...overrides,
  });

describe('install key provider', () => {
  it('fetches an RS256 public key by kid and caches it', async () => {
    const key = keyServer.createKey();
    const keys = provider();
    const first = await keys.getKey(key.kid);
    expect(first.type).toBe('public');
    expect(await keys.getKey(key.kid)).toBe(first);
    expect(keyServer.requestCount(key.kid)).toBe(1);
  });

  it('coalesces concurrent misses for one kid into one fetch', async () => {
    const key = keyServer.createKey();
    const keys = provider();
    const results = await Promise.all(Array.from({ length: 8 }, () => keys.getKey(key.kid)));
    expect(new Set(results).size).toBe(1);
    expect(keyServer.requestCount(key.kid)).toBe(1);
  });

  it('fetches again once the TTL has passed', async () => {
    const key = keyServer.createKey();
    const keys = provider({ ttlMs: 0 });
    await keys.getKey(key.kid);
    await keys.getKey(key.kid);
    expect(keyServer.requestCount(key.kid)).toBe(2);
  });

  it('keeps at most maxEntries keys, evicting the oldest', async () => {
    const a = keyServer.createKey();
    const b = keyServer.createKey();
    const keys = provider({ maxEntries: 1 });
    await keys.getKey(a.kid);
    await keys.getKey(b.kid);
    await keys.getKey(b.kid);
    await keys.getKey(a.kid);
    expect(keyServer.requestCount(a.kid)).toBe(2);
    expect(keyServer.requestCount(b.kid)).toBe(1);
  });

  it.each([
    ['a path traversal', '../../etc/passwd'],
    ['a dot-dot without slash', 'key..id'],
    ['a slash', 'a/b'],
    ['an escaped slash', 'a%2Fb'],
    ['an authority trick', '@evil.example.com'],
    ['a query', 'kid?x=1'],
    ['an empty kid', ''],
    ['an overlong kid', 'k'.repeat(129)],
    ['a number', 42],
    ['no kid', undefined],
  ])('refuses %s before any fetch (401)', async (_what, kid) => {
    const before = keyServer.requestCount(String(kid));
    const error = await provider()
      .getKey(kid)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInstallError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
    expect(keyServer.requestCount(String(kid))).toBe(before);
  });

  it('answers 401 for a kid the key server does not have (404)', async () => {
    const error = await provider()
      .getKey('fake-kid')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_INSTALL', status: 401 });
  });

  it.each([
    ['answers 500', 'error'],
    ['answers 200 with something that is not a key', 'garbage'],
    ['does not answer in time', 'hang'],
  ] as const)('answers 503 when the key server %s, and does not cache the failure', async (_what, mode) => {
    const key = keyServer.createKey();
    keyServer.respond(key.kid, mode);
    const keys = provider({ timeoutMs: 1500 });
    const error = await keys.getKey(key.kid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    keyServer.respond(key.kid, 'serve');
    expect((await keys.getKey(key.kid)).type).toBe('public');
  });

  it('answers 503 when nothing listens at the key server URL', async () => {
    const closed = await startKeyServer();
    const url = closed.url;
    await closed.close();
    const keys = createInstallKeyProvider({ keyServerUrl: url, timeoutMs: 2000, ttlMs: 0, maxEntries: 1 });
    await expect(keys.getKey(closed.key.kid)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  });
});
