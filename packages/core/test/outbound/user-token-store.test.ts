import { randomBytes } from 'node:crypto';
import { encryptedStore, getUserAccessToken, MemoryStore, productFetch, type SecretStore } from '@connect-jwt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_KEY, type InstalledProduct, installedProduct } from '../support/installed-product.js';

// A fleet shares user tokens through its store (remember/recall/forget): instance B uses the
// token instance A got instead of asking again. Two encryptedStore wrappers over one storage are
// two instances here, each with its own in-process layer; test/stores runs it across processes.
let site: InstalledProduct;
beforeAll(async () => {
  site = await installedProduct();
});
afterAll(() => site.close());

const SECRET_KEY = randomBytes(32).toString('hex');
const newAccount = () => `5b10ac8d82e05b22cc7d4ef5${randomBytes(4).toString('hex')}`;

/** The shared storage, with every value written to it kept, to look at what sits at rest. */
function recordingStorage(): { storage: SecretStore; written: string[] } {
  const memory = new MemoryStore();
  const written: string[] = [];
  const storage: SecretStore = {
    get: (clientKey) => memory.get(clientKey),
    set: (installation) => memory.set(installation),
    delete: (clientKey) => memory.delete(clientKey),
    remember: (key, value, ttlMs) => {
      written.push(value);
      return memory.remember(key, value, ttlMs);
    },
    recall: (key) => memory.recall(key),
    forget: (key) => memory.forget(key),
  };
  return { storage, written };
}

describe('user tokens shared through a store', () => {
  it('instance B uses the token instance A got; at rest it is encrypted', async () => {
    const { storage, written } = recordingStorage();
    const a = encryptedStore(storage, SECRET_KEY);
    const b = encryptedStore(storage, SECRET_KEY);
    const options = { accountId: newAccount(), authorizationServerUrl: site.product.authorizationServerUrl };
    const before = site.product.tokenRequests.length;
    const first = await getUserAccessToken(site.installation, { ...options, cache: a });
    const second = await getUserAccessToken(site.installation, { ...options, cache: b });
    expect(second.accessToken).toBe(first.accessToken);
    expect(site.product.tokenRequests.length - before).toBe(1);
    expect(written.length).toBeGreaterThan(0);
    for (const value of written) expect(value).not.toContain(first.accessToken);
  });

  it('a token the product refuses is replaced once for the fleet; B drops its own copy on its 401', async () => {
    const { storage } = recordingStorage();
    const a = encryptedStore(storage, SECRET_KEY);
    const b = encryptedStore(storage, SECRET_KEY);
    const accountId = newAccount();
    const options = (cache: SecretStore) => ({
      appKey: APP_KEY,
      as: { accountId },
      authorizationServerUrl: site.product.authorizationServerUrl,
      cache,
    });
    const call = async (cache: SecretStore) =>
      (await productFetch(site.installation, options(cache), '/rest/api/3/myself')).json();
    expect(await call(a)).toMatchObject({ accountId });
    expect(await call(b)).toMatchObject({ accountId });
    const before = { tokens: site.product.tokenRequests.length, calls: site.product.received.length };
    site.product.expireUserTokens();
    expect(await call(a)).toMatchObject({ accountId });
    // B still holds the old token: refused once, then it finds A's new one in the store.
    expect(await call(b)).toMatchObject({ accountId });
    expect(site.product.tokenRequests.length - before.tokens).toBe(1);
    expect(site.product.received.slice(before.calls).map((c) => c.status)).toEqual([401, 200, 401, 200]);
  });

  it('a cache that cannot remember is a TypeError naming it', async () => {
    const plain: SecretStore = { get: async () => undefined, set: async () => {}, delete: async () => {} };
    await expect(getUserAccessToken(site.installation, { accountId: newAccount(), cache: plain })).rejects.toThrow(
      'getUserAccessToken: cache must be a store with remember, recall and forget',
    );
  });
});
