import { randomBytes } from 'node:crypto';
import { encryptedStore, type Installation, MemoryStore, reencryptStore, type SecretStore } from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { describe, expect, it } from 'vitest';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const record = (clientKey: string, extra: Partial<Installation> = {}): Installation => ({
  clientKey,
  sharedSecret: `secret-of-${clientKey}`,
  baseUrl: 'https://example.atlassian.net',
  ...extra,
});

/** A backend with rows under the old key, one under the new key, one in clear and one under a retired key. */
async function mixedBackend(): Promise<MemoryStore> {
  const backend = new MemoryStore();
  for (const clientKey of ['old-1', 'old-2']) await encryptedStore(backend, oldKey).set(record(clientKey));
  await encryptedStore(backend, newKey).set(record('new-1'));
  await backend.set(record('clear-1'));
  await encryptedStore(backend, randomBytes(32)).set(record('retired-1'));
  return backend;
}

describe('reencryptStore', () => {
  it('rewrites every row not under the current key, counts each kind, and a second run rewrites nothing', async () => {
    const backend = await mixedBackend();
    const first = await reencryptStore(backend, newKey, { previousKeys: [oldKey] });
    expect(first).toEqual({
      listed: 5,
      rewritten: 3,
      current: 1,
      changed: 0,
      unreadable: ['retired-1'],
      atomic: true,
    });
    const newOnly = encryptedStore(backend, newKey, { requireEncryption: true });
    for (const clientKey of ['old-1', 'old-2', 'new-1', 'clear-1']) {
      expect((await newOnly.get(clientKey))?.sharedSecret).toBe(`secret-of-${clientKey}`);
      await expect(encryptedStore(backend, oldKey).get(clientKey)).rejects.toBeInstanceOf(SecretDecryptionError);
    }
    const second = await reencryptStore(backend, newKey, { previousKeys: [oldKey] });
    expect(second).toEqual({
      listed: 5,
      rewritten: 0,
      current: 4,
      changed: 0,
      unreadable: ['retired-1'],
      atomic: true,
    });
  });

  it('with dryRun, counts the same and writes nothing', async () => {
    const backend = await mixedBackend();
    const before = (await backend.get('old-1'))?.sharedSecret;
    const report = await reencryptStore(backend, newKey, { previousKeys: [oldKey], dryRun: true });
    expect(report).toMatchObject({ listed: 5, rewritten: 3, current: 1 });
    expect((await backend.get('old-1'))?.sharedSecret).toBe(before);
    expect((await backend.get('clear-1'))?.sharedSecret).toBe('secret-of-clear-1');
  });

  it('upgrades a v1 row that carries an installationId (binds the id), even under the current key', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, newKey).set(record('v1'));
    const v1 = (await backend.get('v1')) as Installation;
    await backend.set({ ...v1, installationId: '6a1c0e8e-2b1f-4c59-9c2d-0d5b0e4f7a11' });
    expect(await reencryptStore(backend, newKey)).toMatchObject({ rewritten: 1, current: 0 });
    expect((await backend.get('v1'))?.sharedSecret).toMatch(/^enc:v2:/);
  });

  it('keeps a reinstall written between its re-read and its write: the rewrite is a replace the backend refuses', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).set(record('busy'));
    const addOn = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    // The reinstall lands at the last moment: after every read, just before the backend's own compare-and-set.
    let replaces = 0;
    const racing: SecretStore = {
      get: (clientKey) => backend.get(clientKey),
      set: (installation) => backend.set(installation),
      delete: (clientKey) => backend.delete(clientKey),
      installations: () => backend.installations(),
      replace: async (expected, next) => {
        replaces++;
        await addOn.set(record(expected.clientKey, { sharedSecret: 'reinstalled-secret' }));
        return backend.replace(expected, next);
      },
    };
    expect(await reencryptStore(racing, newKey, { previousKeys: [oldKey] })).toMatchObject({
      changed: 1,
      rewritten: 0,
      atomic: true,
    });
    expect(replaces).toBe(1);
    expect((await addOn.get('busy'))?.sharedSecret).toBe('reinstalled-secret');
    // Without the reinstall, the same path rewrites.
    await encryptedStore(backend, oldKey).set(record('quiet'));
    expect(await reencryptStore(backend, newKey, { previousKeys: [oldKey] })).toMatchObject({ rewritten: 1 });
    expect((await encryptedStore(backend, newKey).get('quiet'))?.sharedSecret).toBe('secret-of-quiet');
  });

  it('without replace, re-reads then sets, leaves a row rewritten before the re-read, and says it is not atomic', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).set(record('busy'));
    const addOn = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    // The reinstall lands between the listing and the re-read: the store answers the new row.
    const racing: SecretStore = {
      get: async (clientKey) => {
        await addOn.set(record(clientKey, { sharedSecret: 'reinstalled-secret' }));
        return backend.get(clientKey);
      },
      set: (installation) => backend.set(installation),
      delete: (clientKey) => backend.delete(clientKey),
      installations: () => backend.installations(),
    };
    expect(await reencryptStore(racing, newKey, { previousKeys: [oldKey] })).toMatchObject({
      changed: 1,
      rewritten: 0,
      atomic: false,
    });
    expect((await addOn.get('busy'))?.sharedSecret).toBe('reinstalled-secret');
  });

  it('refuses at setup a store it cannot list, bad keys and bad options, naming them and never a key', async () => {
    const backend = new MemoryStore();
    const unlisted = {
      get: backend.get.bind(backend),
      set: backend.set.bind(backend),
      delete: backend.delete.bind(backend),
    };
    await expect(reencryptStore(unlisted, newKey)).rejects.toThrow(/reencryptStore: the store cannot list/);
    await expect(reencryptStore(backend, 'short')).rejects.toThrow(/reencryptStore: key must be 32 bytes/);
    const same = await reencryptStore(backend, newKey, { previousKeys: [newKey.toString('hex')] }).catch((e) => e);
    expect(same).toBeInstanceOf(TypeError);
    expect(same.message).toMatch(/options\.previousKeys\[0\] is the current key/);
    expect(same.message).not.toContain(newKey.toString('hex'));
    await expect(reencryptStore(backend, newKey, { dryRun: 'yes' as never })).rejects.toThrow(/options\.dryRun/);
  });
});
