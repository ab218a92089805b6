import { randomBytes, randomUUID } from 'node:crypto';
import { fetchLicense, type Installation, MemoryStore } from '@connect-jwt/core';
import { type AppLicense, type ProductApi, startProductApi } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appKey = 'license-test-app';
const sharedSecret = randomBytes(32).toString('base64url');
let api: ProductApi;
let license: AppLicense | undefined;
let installation: Installation;

beforeAll(async () => {
  api = await startProductApi({
    productType: 'jira',
    accountId: 'account-1',
    caller: () => ({ appKey, sharedSecret }),
    license: () => license,
  });
});
afterAll(() => api?.close());

const freshInstallation = (): Installation => ({ clientKey: randomUUID(), sharedSecret, baseUrl: api.baseUrl });
const addonCalls = () => api.received.filter((call) => call.url.startsWith('/rest/atlassian-connect/1/addons/'));

describe('fetchLicense', () => {
  it("reads the app's licence from the product's REST API, signed as the app", async () => {
    license = { active: true, type: 'commercial', evaluation: true };
    installation = freshInstallation();
    expect(await fetchLicense(installation, { appKey })).toEqual({
      active: true,
      source: 'rest',
      evaluation: true,
      type: 'commercial',
    });
    expect(addonCalls().at(-1)).toMatchObject({
      url: `/rest/atlassian-connect/1/addons/${appKey}`,
      status: 200,
      appKey,
    });
  });

  it('answers undefined for a free app (no licence in the answer)', async () => {
    license = undefined;
    expect(await fetchLicense(freshInstallation(), { appKey })).toBeUndefined();
  });

  it('reuses an answer for ttlMs through the store every instance shares, then asks again', async () => {
    const store = new MemoryStore();
    const site = freshInstallation();
    license = { active: false };
    const before = addonCalls().length;
    expect((await fetchLicense(site, { appKey, store, ttlMs: 60_000 }))?.active).toBe(false);
    license = { active: true };
    // Another instance on the same store: the cached answer, no call.
    expect((await fetchLicense(site, { appKey, store, ttlMs: 60_000 }))?.active).toBe(false);
    expect(addonCalls().length).toBe(before + 1);
    await store.forget(`license:${site.clientKey}`);
    expect((await fetchLicense(site, { appKey, store }))?.active).toBe(true);
  });

  it('is LicenseUnavailableError (503) when the product refuses, never a guess', async () => {
    const stranger = { ...freshInstallation(), sharedSecret: 'not-the-shared-secret-0123456789abcdef' };
    await expect(fetchLicense(stranger, { appKey })).rejects.toMatchObject({
      code: 'ERR_LICENSE_UNAVAILABLE',
      status: 503,
    });
  });

  it('refuses bad options with a TypeError', async () => {
    await expect(fetchLicense(freshInstallation(), { appKey: '' })).rejects.toThrow(/options.appKey/);
    await expect(fetchLicense(freshInstallation(), { appKey, ttlMs: 0 })).rejects.toThrow(/options.ttlMs/);
  });
});
