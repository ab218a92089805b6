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
    missingKeyTtlMs: 0,
    maxFetchesPerMinute: 1000,
    maxFetchesInFlight: 100,
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
    const keys = provider({ keyServerUrl: url, ttlMs: 0, maxEntries: 1 });
    await expect(keys.getKey(closed.key.kid)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  });
});

// Forged installs with random kids must not buy one key-server fetch each.
describe('install key provider: unknown kids are bounded', () => {
  const budgeted = (overrides: Partial<Parameters<typeof createInstallKeyProvider>[0]> = {}) =>
    provider({ missingKeyTtlMs: 60_000, maxFetchesPerMinute: 5, maxFetchesInFlight: 2, ...overrides });
  const randomKid = () => `forged-${Math.random().toString(36).slice(2)}`;

  it('remembers a kid the key server does not have, so asking again costs no fetch', async () => {
    const keys = budgeted();
    const kid = randomKid();
    for (let i = 0; i < 5; i++) await expect(keys.getKey(kid)).rejects.toBeInstanceOf(InvalidInstallError);
    expect(keyServer.requestCount(kid)).toBe(1);
  });

  it('past the per-minute budget, answers 503 with a Retry-After and fetches nothing', async () => {
    const keys = budgeted();
    const kids = Array.from({ length: 8 }, randomKid);
    const outcomes = [];
    for (const kid of kids) outcomes.push(await keys.getKey(kid).catch((error: unknown) => error));
    expect(outcomes.slice(0, 5).every((e) => e instanceof InvalidInstallError)).toBe(true);
    for (const refused of outcomes.slice(5)) {
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      expect((refused as StoreUnavailableError).retryAfter).toBeGreaterThanOrEqual(1);
      expect((refused as StoreUnavailableError).retryAfter).toBeLessThanOrEqual(60);
    }
    expect(kids.slice(5).map((kid) => keyServer.requestCount(kid))).toEqual([0, 0, 0]);
    // A key already cached is no fetch: still served.
    const known = keyServer.createKey();
    const warm = budgeted();
    await warm.getKey(known.kid);
    for (const kid of Array.from({ length: 6 }, randomKid)) await warm.getKey(kid).catch(() => {});
    await expect(warm.getKey(known.kid)).resolves.toBeDefined();
  });

  it('caps fetches in flight: a third unknown kid while two hang is a 503, not a third fetch', async () => {
    const keys = budgeted({ timeoutMs: 1500 });
    const [a, b, c] = [randomKid(), randomKid(), randomKid()];
    keyServer.respond(a, 'hang');
    keyServer.respond(b, 'hang');
    const hanging = [keys.getKey(a).catch(() => {}), keys.getKey(b).catch(() => {})];
    await expect(keys.getKey(c)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect(keyServer.requestCount(c)).toBe(0);
    await Promise.all(hanging);
  });
});
