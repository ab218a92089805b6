import { randomBytes } from 'node:crypto';
import { unsignedToken } from '@connect-jwt/adapter-test-suite';
import { createFakeForge, type FakeForge } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSystemTokenCache,
  encryptedStore,
  forgeFetch,
  MemoryStore,
  verifyForgeInvocation,
} from '../../src/index.js';

let forge: FakeForge;
beforeAll(async () => {
  forge = await createFakeForge();
});
afterAll(() => forge.close());

const verified = (headers = forge.headers({ userToken: true })) =>
  verifyForgeInvocation({ method: 'POST', url: '/forge', headers }, { appId: forge.appId, jwksUrl: forge.jwksUrl });

describe('forgeFetch', () => {
  it('calls the product below apiBaseUrl with the system token, or the user token when asked', async () => {
    const auth = await verified();
    const asApp = await forgeFetch(auth, '/rest/api/3/myself');
    expect(asApp.status).toBe(200);
    expect(await asApp.json()).toMatchObject({ as: 'app', url: `/ex/jira/${forge.cloudId}/rest/api/3/myself` });
    const asUser = await forgeFetch(auth, 'rest/api/3/issue/1', { as: 'user', method: 'PUT', body: '{}' });
    expect(await asUser.json()).toMatchObject({ as: 'user' });
    const absolute = await forgeFetch(auth, `${forge.apiBaseUrl}/rest/api/3/field`);
    expect(absolute.status).toBe(200);
  });

  it('refuses a URL outside apiBaseUrl before sending anything', async () => {
    const auth = await verified();
    const before = forge.apiCalls.length;
    const outside = [
      'https://evil.example.com/steal',
      `${new URL(forge.apiBaseUrl).origin}/ex/jira/another-cloud/rest/api/3/myself`,
      '/../another-cloud/rest/api/3/myself',
      `${forge.apiBaseUrl}-suffix/x`,
    ];
    for (const url of outside) await expect(forgeFetch(auth, url)).rejects.toThrow(/outside auth\.apiBaseUrl/);
    expect(forge.apiCalls.length).toBe(before);
  });

  it('a missing token is a clear error', async () => {
    const auth = await verified(forge.headers({ systemToken: false }));
    await expect(forgeFetch(auth, '/x')).rejects.toThrow(/no system token/);
    await expect(forgeFetch(auth, '/x', { as: 'user' })).rejects.toThrow(/no user token/);
  });
});

describe('createSystemTokenCache', () => {
  const token = (exp: number) => unsignedToken('{"alg":"none"}', { exp }, 'sig');
  const now = () => Math.floor(Date.now() / 1000);
  const id = 'ari:cloud:ecosystem::installation/0f6a3c1e-7b8d-4c2a-9e1f-123456789abc';

  it('keeps the newest token per installation (ARI or bare uuid) until its exp', async () => {
    const cache = createSystemTokenCache();
    const auth = await verified();
    cache.remember(auth);
    expect(cache.get(auth.installationId)).toBe(forge.systemToken);
    expect(cache.get(auth.installationId.split('/').pop() as string)).toBe(forge.systemToken);
    const fresher = token(now() + 4 * 3600);
    cache.remember({ installationId: id, systemToken: token(now() + 3600) });
    cache.remember({ installationId: id, systemToken: fresher });
    cache.remember({ installationId: id, systemToken: token(now() + 2 * 3600) });
    expect(cache.get(id)).toBe(fresher);
  });

  it('never hands out an expired token, nor one without a readable exp', () => {
    const cache = createSystemTokenCache({ marginSeconds: 60 });
    cache.remember({ installationId: id, systemToken: token(now() + 30) });
    expect(cache.get(id)).toBeUndefined();
    cache.remember({ installationId: id, systemToken: 'opaque-without-exp' });
    expect(cache.get(id)).toBeUndefined();
    const cacheNoMargin = createSystemTokenCache({ marginSeconds: 0 });
    cacheNoMargin.remember({ installationId: id, systemToken: token(now() + 1) });
    expect(cacheNoMargin.get(id)).toBeDefined();
  });

  it('bounds its size', () => {
    const cache = createSystemTokenCache({ maxEntries: 2 });
    for (const n of [1, 2, 3]) cache.remember({ installationId: `inst-${n}`, systemToken: token(now() + 3600) });
    expect(cache.size).toBe(2);
    expect(cache.get('inst-1')).toBeUndefined();
  });
});

describe('createSystemTokenCache({ store }): one token for the fleet', () => {
  const token = (exp: number) => unsignedToken('{"alg":"none"}', { exp }, 'sig');
  const now = () => Math.floor(Date.now() / 1000);
  const id = 'ari:cloud:ecosystem::installation/0f6a3c1e-7b8d-4c2a-9e1f-123456789abc';
  const storeKey = randomBytes(32);

  it('a token remembered by one instance serves another; the newest wins; delete forgets it everywhere', async () => {
    const backend = new MemoryStore();
    const a = createSystemTokenCache({ store: encryptedStore(backend, storeKey) });
    const b = createSystemTokenCache({ store: encryptedStore(backend, storeKey) });
    const fresher = token(now() + 4 * 3600);
    await a.remember({ installationId: id, systemToken: token(now() + 3600) });
    await a.remember({ installationId: id, systemToken: fresher });
    await b.remember({ installationId: id, systemToken: token(now() + 2 * 3600) });
    expect(await b.get(id.split('/').pop() as string)).toBe(fresher);
    // Encrypted at rest: the backend holds no token.
    const atRest = await backend.recall(`forge-system-token:${id.split('/').pop()}`);
    expect(atRest).toMatch(/^enc:v1:/);
    expect(atRest).not.toContain(fresher.split('.')[1]);
    await b.delete(id);
    expect(await a.get(id)).toBeUndefined();
  });

  it('honours exp less the margin, and keeps nothing without a readable exp', async () => {
    const cache = createSystemTokenCache({ store: new MemoryStore(), marginSeconds: 60 });
    await cache.remember({ installationId: id, systemToken: token(now() + 30) });
    expect(await cache.get(id)).toBeUndefined();
    await cache.remember({ installationId: id, systemToken: 'opaque-without-exp' });
    expect(await cache.get(id)).toBeUndefined();
    const short = createSystemTokenCache({ store: new MemoryStore(), marginSeconds: 0 });
    await short.remember({ installationId: id, systemToken: token(now() + 2) });
    expect(await short.get(id)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await short.get(id)).toBeUndefined();
  });

  it('concurrent gets of one installation share one store read', async () => {
    const backend = new MemoryStore();
    let recalls = 0;
    const recall = backend.recall.bind(backend);
    backend.recall = (key) => {
      recalls++;
      return recall(key);
    };
    const cache = createSystemTokenCache({ store: backend });
    await cache.remember({ installationId: id, systemToken: token(now() + 3600) });
    recalls = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get(id)));
    expect(new Set(answers).size).toBe(1);
    expect(recalls).toBe(1);
  });

  it('refuses a store without remembered values at setup', () => {
    const bare = { get: async () => undefined, set: async () => {}, delete: async () => {} };
    expect(() => createSystemTokenCache({ store: bare })).toThrow(/options\.store/);
  });
});
