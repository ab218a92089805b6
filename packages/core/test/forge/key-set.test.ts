import { createFakeForge, type FakeForge } from '@connect-jwt/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { KeysUnavailableError } from '../../src/errors.js';
import { ForgeKeySet } from '../../src/forge/key-set.js';
import { toErrorResponse } from '../../src/http/index.js';
import { StoreUnavailableError, verifyForgeInvocation } from '../../src/index.js';

const fakes: FakeForge[] = [];
async function fake(): Promise<FakeForge> {
  const forge = await createFakeForge();
  fakes.push(forge);
  return forge;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((forge) => forge.close()));
});

const request = (headers: Record<string, string>) => ({ method: 'POST', url: '/forge/event', headers });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Forge key set (through verifyForgeInvocation, the shared per-process set)', () => {
  it('1,000 verifications make one JWKS fetch', async () => {
    const forge = await fake();
    const options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
    for (let i = 0; i < 1000; i++) {
      const auth = await verifyForgeInvocation(request(forge.headers()), options);
      expect(auth.kind).toBe('forge');
    }
    expect(forge.jwksRequests).toBe(1);
  });

  it('100 concurrent cold verifications make one JWKS fetch', async () => {
    const forge = await fake();
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        // A new options object per call: sharing comes from the JWKS URL, not from the caller.
        verifyForgeInvocation(request(forge.headers()), { appId: forge.appId, jwksUrl: forge.jwksUrl }),
      ),
    );
    expect(results).toHaveLength(100);
    expect(forge.jwksRequests).toBe(1);
  });

  it('JWKS down while cold: 503 ERR_KEYS_UNAVAILABLE, for every failure mode', async () => {
    for (const mode of ['error', 'garbage', 'redirect', 'huge'] as const) {
      const forge = await fake();
      forge.respondJwks(mode);
      await expect(
        verifyForgeInvocation(request(forge.headers()), { appId: forge.appId, jwksUrl: forge.jwksUrl }),
      ).rejects.toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE', status: 503 });
    }
  });

  it('answers a key outage with its own code, not a store outage: 503 ERR_KEYS_UNAVAILABLE with Retry-After', async () => {
    const forge = await fake();
    forge.respondJwks('error');
    const error = await verifyForgeInvocation(request(forge.headers()), {
      appId: forge.appId,
      jwksUrl: forge.jwksUrl,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(KeysUnavailableError.code).toBe('ERR_KEYS_UNAVAILABLE');
    expect(toErrorResponse(error, 'my-app', 'Bearer')).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
      body: { code: 'ERR_KEYS_UNAVAILABLE' },
    });
  });

  it('refuses a redirect: the moved JWKS is never fetched, though it holds the right key', async () => {
    const forge = await fake();
    forge.respondJwks('redirect');
    const options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
    await expect(verifyForgeInvocation(request(forge.headers()), options)).rejects.toMatchObject({ status: 503 });
    expect(forge.jwksRequests).toBe(1);
  });

  it('JWKS down while warm: known keys keep verifying without a fetch', async () => {
    const forge = await fake();
    const options = { appId: forge.appId, jwksUrl: forge.jwksUrl };
    await verifyForgeInvocation(request(forge.headers()), options);
    forge.respondJwks('error');
    await expect(verifyForgeInvocation(request(forge.headers()), options)).resolves.toMatchObject({ kind: 'forge' });
    // Within the cooldown of a good fetch, an unknown kid is not the JWKS's fault: a bad token.
    await expect(
      verifyForgeInvocation(request(forge.headers({ forgery: 'unknown-kid' })), options),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE', status: 401 });
    expect(forge.jwksRequests).toBe(1);
  });
});

describe('ForgeKeySet (timings shortened)', () => {
  it('an unknown kid refetches at most once per cooldown; concurrent misses share the fetch', async () => {
    const forge = await fake();
    const keys = new ForgeKeySet(forge.jwksUrl, { cooldownMs: 200 });
    await keys.load(forge.kid);
    expect(forge.jwksRequests).toBe(1);
    const misses = await Promise.allSettled(Array.from({ length: 20 }, () => keys.load('nope')));
    expect(misses.every((miss) => miss.status === 'rejected')).toBe(true);
    await expect(keys.load('nope')).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE', status: 401 });
    expect(forge.jwksRequests).toBe(1);
    await sleep(220);
    const concurrent = await Promise.allSettled(Array.from({ length: 20 }, () => keys.load('still-nope')));
    expect(concurrent.every((miss) => miss.status === 'rejected')).toBe(true);
    expect(forge.jwksRequests).toBe(2);
  });

  it('picks up a rotated key on its first use after the cooldown', async () => {
    const forge = await fake();
    const keys = new ForgeKeySet(forge.jwksUrl, { cooldownMs: 50 });
    const oldKid = forge.kid;
    const oldKey = await keys.load(oldKid);
    const newKid = forge.rotateKeys({ keepPrevious: false });
    await sleep(60);
    const newKey = await keys.load(newKid);
    expect(newKey).not.toBe(oldKey);
    expect(forge.jwksRequests).toBe(2);
    // The new JWKS no longer holds the old key: it stops verifying.
    expect(keys.peek(oldKid)).toBeUndefined();
  });

  it('keeps serving known keys while a refresh fails, and refreshes once the JWKS is back', async () => {
    const forge = await fake();
    const keys = new ForgeKeySet(forge.jwksUrl, { maxAgeMs: 0, cooldownMs: 0 });
    const key = await keys.load(forge.kid);
    forge.respondJwks('error');
    for (let i = 0; i < 5; i++) {
      expect(await keys.load(forge.kid)).toBe(key);
      await sleep(5);
    }
    const failures = forge.jwksRequests;
    expect(failures).toBeGreaterThan(1);
    forge.respondJwks('serve');
    const newKid = forge.rotateKeys();
    // A refresh started while the JWKS still failed may be in flight and answer this first load;
    // the next one after it settles must fetch the JWKS that is back.
    const first = await keys.load(newKid).then(
      (value) => value,
      () => keys.load(newKid),
    );
    expect(first).toBeDefined();
  });

  it('a JWKS that hangs is abandoned after the timeout (503)', async () => {
    const forge = await fake();
    forge.respondJwks('hang');
    const keys = new ForgeKeySet(forge.jwksUrl, { timeoutMs: 100 });
    await expect(keys.load(forge.kid)).rejects.toMatchObject({ code: 'ERR_KEYS_UNAVAILABLE' });
  });

  it('a JWKS larger than the size limit is refused (503)', async () => {
    const forge = await fake();
    forge.respondJwks('huge');
    const keys = new ForgeKeySet(forge.jwksUrl);
    await expect(keys.load(forge.kid)).rejects.toMatchObject({
      code: 'ERR_KEYS_UNAVAILABLE',
      message: expect.stringContaining('larger than'),
    });
  });
});
