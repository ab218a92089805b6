import { createSecretKey, randomBytes } from 'node:crypto';
import {
  createJwt,
  encryptedStore,
  type Installation,
  MemoryStore,
  type SecretStore,
  StoreUnavailableError,
  verifyRequest,
} from '@connect-jwt/core';
import { SecretDecryptionError } from '@connect-jwt/core/errors';
import { installationsSuite, storeSuite } from '@connect-jwt/store-test-suite';
import { describe, expect, it } from 'vitest';

const key = randomBytes(32);

storeSuite('encryptedStore(MemoryStore)', () => encryptedStore(new MemoryStore(), key), { sharedStorage: false });
installationsSuite('encryptedStore(MemoryStore)', () => encryptedStore(new MemoryStore(), key), { count: 2000 });

const record = (clientKey: string, sharedSecret = 'plain-shared-secret-value'): Installation => ({
  clientKey,
  sharedSecret,
  baseUrl: 'https://example.atlassian.net',
  productType: 'jira',
});

describe('encryptedStore', () => {
  it('keeps only ciphertext at rest, with a fresh IV per write', async () => {
    const backend = new MemoryStore();
    const store = encryptedStore(backend, key);
    await store.set(record('a'));
    const first = await backend.get('a');
    await store.set(record('a'));
    const second = await backend.get('a');
    expect(first?.sharedSecret).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
    expect(first?.sharedSecret).not.toContain('plain-shared-secret-value');
    expect(second?.sharedSecret).not.toBe(first?.sharedSecret);
    expect(first?.productType).toBe('jira');
    expect(await store.get('a')).toEqual(record('a'));
  });

  it('reads records written before encryption was enabled', async () => {
    const backend = new MemoryStore();
    await backend.set(record('legacy', 'written-in-clear'));
    const store = encryptedStore(backend, key);
    expect(await store.get('legacy')).toEqual(record('legacy', 'written-in-clear'));
  });

  it('a wrong key is a SecretDecryptionError (503), never a wrong secret', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, key).set(record('a'));
    const wrong = encryptedStore(backend, randomBytes(32));
    const failure = await wrong.get('a').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SecretDecryptionError);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect((failure as Error).message).toMatch(/wrong encryption key/);
    expect((failure as Error).message).not.toContain('plain-shared-secret-value');
  });

  it('verifyRequest answers 503 (not 401) when the stored secret cannot be decrypted', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, key).set(record('a'));
    const token = await createJwt('a', 'plain-shared-secret-value', { uri: '/x' });
    const request = { method: 'GET', url: '/x', headers: { authorization: `JWT ${token}` } };
    await expect(verifyRequest(request, { store: encryptedStore(backend, key) })).resolves.toMatchObject({
      clientKey: 'a',
    });
    await expect(verifyRequest(request, { store: encryptedStore(backend, randomBytes(32)) })).rejects.toBeInstanceOf(
      SecretDecryptionError,
    );
  });

  it('a ciphertext copied onto another installation does not decrypt', async () => {
    const backend = new MemoryStore();
    const store = encryptedStore(backend, key);
    await store.set(record('victim', 'victim-secret'));
    const stolen = await backend.get('victim');
    await backend.set({ ...record('attacker'), sharedSecret: stolen?.sharedSecret as string });
    await expect(store.get('attacker')).rejects.toBeInstanceOf(SecretDecryptionError);
  });

  it('an altered, truncated or unknown-version ciphertext is refused', async () => {
    const backend = new MemoryStore();
    const store = encryptedStore(backend, key);
    await store.set(record('a'));
    const stored = (await backend.get('a'))?.sharedSecret as string;
    const flipped = stored.slice(0, -2) + (stored.at(-2) === 'A' ? 'B' : 'A') + stored.at(-1);
    for (const sharedSecret of [flipped, 'enc:v1:abc', `enc:v2:${stored.slice(7)}`, `enc:v9:${stored.slice(7)}`]) {
      await backend.set({ ...record('a'), sharedSecret });
      await expect(store.get('a')).rejects.toBeInstanceOf(SecretDecryptionError);
    }
  });

  it('accepts a 32-byte key as Buffer, KeyObject, hex, base64 or base64url', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, key).set(record('a'));
    for (const form of [
      new Uint8Array(key),
      createSecretKey(key),
      key.toString('hex'),
      key.toString('base64'),
      key.toString('base64url'),
    ]) {
      expect((await encryptedStore(backend, form).get('a'))?.sharedSecret).toBe('plain-shared-secret-value');
    }
  });

  it('rejects a bad key or store at setup with a TypeError naming it', () => {
    const store = new MemoryStore();
    for (const bad of [randomBytes(16), 'too-short', randomBytes(32).toString('hex').slice(1), '', 42, undefined]) {
      expect(() => encryptedStore(store, bad as never)).toThrow(/encryptedStore: key/);
    }
    expect(() => encryptedStore(null as never, key)).toThrow(/encryptedStore: store/);
  });

  it('says what a key string must look like: 64 hex or 44 base64 characters', () => {
    expect(() => encryptedStore(new MemoryStore(), 'too-short')).toThrow(/64 hex characters .* 44 base64/);
    expect(randomBytes(32).toString('base64')).toHaveLength(44);
  });

  it('a failing backend raises StoreUnavailableError with the cause', async () => {
    const cause = new Error('connection reset');
    const failing = {
      get: async () => {
        throw cause;
      },
      set: async () => {
        throw cause;
      },
      delete: async () => {
        throw cause;
      },
    };
    const store = encryptedStore(failing, key);
    await expect(store.get('a')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', cause });
    await expect(store.set(record('a'))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', cause });
  });

  it('does not let a rewritten plaintext installationId answer for another installation', async () => {
    const backend = new MemoryStore();
    const store = encryptedStore(backend, key);
    const victimId = 'ari:cloud:ecosystem::installation/6a1c0e8e-2b1f-4c59-9c2d-0d5b0e4f7a11';
    const attackerId = '0b8f3c1d-7e2a-4f6b-8c9d-1e2f3a4b5c6d';
    await store.set({ ...record('victim', 'victim-secret'), installationId: victimId });
    await store.set({ ...record('attacker', 'attacker-secret'), installationId: attackerId });
    // Both spellings of an installation id find the record, as before.
    expect((await store.getByInstallationId?.(victimId))?.clientKey).toBe('victim');
    expect((await store.getByInstallationId?.(attackerId.toUpperCase()))?.clientKey).toBe('attacker');
    expect((await backend.get('victim'))?.sharedSecret).toMatch(/^enc:v2:/);

    // Someone who can write the table (no key) points their own row at the victim's installation.
    const attackerRow = await backend.get('attacker');
    await backend.set({ ...(attackerRow as Installation), installationId: victimId });
    const lookup = await store.getByInstallationId?.(victimId).then(
      (found) => found,
      (error: unknown) => error,
    );
    expect(lookup).not.toMatchObject({ clientKey: 'attacker' });
    expect(lookup === undefined || lookup instanceof SecretDecryptionError).toBe(true);
    await expect(store.get('attacker')).rejects.toBeInstanceOf(SecretDecryptionError);
    for (const installationId of [undefined, 42]) {
      await backend.set({ ...(attackerRow as Installation), installationId: installationId as never });
      await expect(store.get('attacker')).rejects.toBeInstanceOf(SecretDecryptionError);
    }
  });

  it('returns nothing when the store finds a record bound to another installation', async () => {
    const victimId = '6a1c0e8e-2b1f-4c59-9c2d-0d5b0e4f7a11';
    const backend = new MemoryStore();
    await encryptedStore(backend, key).set({ ...record('attacker'), installationId: 'the-attackers-own' });
    const attackerRow = (await backend.get('attacker')) as Installation;
    // A backend whose index was rewritten: the victim's id leads to the attacker's intact row.
    const store = encryptedStore(
      {
        get: (clientKey: string) => backend.get(clientKey),
        set: (installation: Installation) => backend.set(installation),
        delete: (clientKey: string) => backend.delete(clientKey),
        getByInstallationId: async () => attackerRow,
      },
      key,
    );
    expect(await store.getByInstallationId?.(victimId)).toBeUndefined();
    expect((await store.getByInstallationId?.('the-attackers-own'))?.clientKey).toBe('attacker');
  });

  it('keeps reading records encrypted before the installationId was bound; a write upgrades them', async () => {
    const backend = new MemoryStore();
    const installationId = '6a1c0e8e-2b1f-4c59-9c2d-0d5b0e4f7a11';
    // Written without an installationId (v1, the clientKey alone authenticated), then given one,
    // as a record from before this format carries it.
    await encryptedStore(backend, key).set(record('old'));
    const v1 = (await backend.get('old')) as Installation;
    expect(v1.sharedSecret).toMatch(/^enc:v1:/);
    await backend.set({ ...v1, installationId });

    const lenient = encryptedStore(backend, key);
    expect((await lenient.get('old'))?.sharedSecret).toBe('plain-shared-secret-value');
    expect((await lenient.getByInstallationId?.(installationId))?.sharedSecret).toBe('plain-shared-secret-value');
    const strict = encryptedStore(backend, key, { requireEncryption: true });
    expect((await strict.get('old'))?.sharedSecret).toBe('plain-shared-secret-value');
    await expect(strict.getByInstallationId?.(installationId)).rejects.toBeInstanceOf(SecretDecryptionError);

    await strict.set({ ...record('old'), installationId });
    expect((await backend.get('old'))?.sharedSecret).toMatch(/^enc:v2:/);
    expect((await strict.getByInstallationId?.(installationId))?.sharedSecret).toBe('plain-shared-secret-value');
  });

  it('refuses a non-string installationId on write', async () => {
    const store = encryptedStore(new MemoryStore(), key);
    await expect(store.set({ ...record('a'), installationId: 42 as never })).rejects.toThrow(/installationId/);
  });
});

describe('encryptedStore remembered values and change feed', () => {
  it('keeps a remembered value encrypted at rest, bound to its key; recall decrypts it', async () => {
    const backend = new MemoryStore();
    const store = encryptedStore(backend, key) as Required<SecretStore>;
    await store.remember('token:a', 'a-credential-value', 60_000);
    const atRest = await backend.recall('token:a');
    expect(atRest).toMatch(/^enc:v1:/);
    expect(atRest).not.toContain('a-credential-value');
    expect(await store.recall('token:a')).toBe('a-credential-value');
    // Copied under another key, it does not decrypt there.
    await backend.remember('token:b', atRest as string, 60_000);
    await expect(store.recall('token:b')).rejects.toThrow(SecretDecryptionError);
    // Nor does a shared secret's ciphertext pass for a remembered value.
    await store.set(record('token:c'));
    await backend.remember('token:c', (await backend.get('token:c'))?.sharedSecret as string, 60_000);
    await expect(store.recall('token:c')).rejects.toThrow(SecretDecryptionError);
    await store.forget('token:a');
    expect(await store.recall('token:a')).toBeUndefined();
  });

  it('reads a plaintext remembered value unless requireEncryption', async () => {
    const backend = new MemoryStore();
    await backend.remember('plain', 'value', 60_000);
    expect(await encryptedStore(backend, key).recall?.('plain')).toBe('value');
    await expect(encryptedStore(backend, key, { requireEncryption: true }).recall?.('plain')).rejects.toThrow(
      SecretDecryptionError,
    );
  });

  it('passes the change feed through; a wrapper lacks what its store lacks', async () => {
    const store = encryptedStore(new MemoryStore(), key);
    const changes: string[] = [];
    await store.watch?.({ change: (c) => changes.push(c.clientKey), up: () => {}, down: () => {} });
    await store.set(record('a'));
    expect(changes).toEqual(['a']);
    const bare = encryptedStore({ get: async () => undefined, set: async () => {}, delete: async () => {} }, key);
    for (const name of ['remember', 'recall', 'forget', 'watch'] as const) expect(bare[name]).toBeUndefined();
  });
});

describe('encryptedStore with previousKeys (rotating the key)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('reads rows under the current key or a previous one, and writes under the current key only', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).set(record('old-row', 'old-secret'));
    await encryptedStore(backend, oldKey).set({ ...record('old-v2', 'old-v2-secret'), installationId: 'id-1' });
    const rotated = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    expect((await rotated.get('old-row'))?.sharedSecret).toBe('old-secret');
    expect((await rotated.getByInstallationId?.('id-1'))?.sharedSecret).toBe('old-v2-secret');

    await rotated.set(record('new-row', 'new-secret'));
    await rotated.set(record('old-row', 'old-secret'));
    const newOnly = encryptedStore(backend, newKey);
    expect((await newOnly.get('new-row'))?.sharedSecret).toBe('new-secret');
    expect((await newOnly.get('old-row'))?.sharedSecret).toBe('old-secret');
    // The old key alone cannot open what the rotated store wrote.
    await expect(encryptedStore(backend, oldKey).get('new-row')).rejects.toBeInstanceOf(SecretDecryptionError);
  });

  it('keeps binding the clientKey and installationId under a previous key', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).set({ ...record('victim', 'victim-secret'), installationId: 'victim-id' });
    const stolen = (await backend.get('victim')) as Installation;
    await backend.set({ ...stolen, clientKey: 'attacker' });
    await backend.set({ ...stolen, installationId: 'other-id' });
    const rotated = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    await expect(rotated.get('attacker')).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(rotated.get('victim')).rejects.toBeInstanceOf(SecretDecryptionError);
  });

  it('a row under a key no longer listed, or truncated, is a SecretDecryptionError naming the clientKey, never a key', async () => {
    const backend = new MemoryStore();
    const retired = randomBytes(32);
    await encryptedStore(backend, retired).set(record('site-A', 'secret-a'));
    await encryptedStore(backend, newKey).set(record('site-B', 'secret-b'));
    const truncated = String((await backend.get('site-B'))?.sharedSecret).slice(0, 30);
    await backend.set({ ...record('site-B'), sharedSecret: truncated });
    const store = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    for (const [clientKey, why] of [
      ['site-A', /could not be decrypted with the current key or any previous key/],
      ['site-B', /truncated/],
    ] as const) {
      const failure = await store.get(clientKey).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SecretDecryptionError);
      expect(failure).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
      const message = (failure as Error).message;
      expect(message).toContain(`installation "${clientKey}"`);
      expect(message).toMatch(why);
      for (const k of [retired, oldKey, newKey]) {
        for (const form of [k.toString('hex'), k.toString('base64'), k.toString('base64url')]) {
          expect(message).not.toContain(form);
        }
      }
      expect(message).not.toContain('secret-a');
    }
  });

  it('refuses at setup a previous key that is the current one, repeated or malformed, naming the option but not the key', () => {
    const backend = new MemoryStore();
    const hex = newKey.toString('hex');
    const cases: [unknown, RegExp][] = [
      [[newKey], /options\.previousKeys\[0\] is the current key/],
      [[oldKey, hex], /options\.previousKeys\[1\] is the current key/],
      [[oldKey, createSecretKey(oldKey)], /options\.previousKeys\[1\] repeats options\.previousKeys\[0\]/],
      [[oldKey, 'not-a-key'], /options\.previousKeys\[1\] must be 32 bytes/],
      [[randomBytes(16)], /options\.previousKeys\[0\] must be 32 bytes/],
      [oldKey.toString('hex'), /options\.previousKeys must be an array/],
    ];
    for (const [previousKeys, message] of cases) {
      let thrown: unknown;
      try {
        encryptedStore(backend, hex, { previousKeys: previousKeys as never });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain(hex);
      expect((thrown as Error).message).not.toContain(oldKey.toString('hex'));
    }
    expect(() => encryptedStore(backend, newKey, { previousKeys: [] })).not.toThrow();
  });

  it('recalls a value remembered under a previous key, and remembers under the current one', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).remember?.('token:x', 'system-token', 60_000);
    const rotated = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    expect(await rotated.recall?.('token:x')).toBe('system-token');
    await rotated.remember?.('token:y', 'newer-token', 60_000);
    expect(await encryptedStore(backend, newKey).recall?.('token:y')).toBe('newer-token');
    await expect(encryptedStore(backend, newKey).recall?.('token:x')).rejects.toBeInstanceOf(SecretDecryptionError);
  });

  it('lists every installation decrypted, whichever key each is under', async () => {
    const backend = new MemoryStore();
    await encryptedStore(backend, oldKey).set(record('a', 'secret-a'));
    await encryptedStore(backend, newKey).set(record('b', 'secret-b'));
    await backend.set(record('c', 'in-clear'));
    const store = encryptedStore(backend, newKey, { previousKeys: [oldKey] });
    const listed: Installation[] = [];
    for await (const installation of store.installations?.() ?? []) listed.push(installation);
    expect(listed.map((i) => [i.clientKey, i.sharedSecret]).sort()).toEqual([
      ['a', 'secret-a'],
      ['b', 'secret-b'],
      ['c', 'in-clear'],
    ]);
    // A store that cannot be listed makes a wrapper that cannot either.
    const unlisted = {
      get: backend.get.bind(backend),
      set: backend.set.bind(backend),
      delete: backend.delete.bind(backend),
    };
    expect(encryptedStore(unlisted, newKey).installations).toBeUndefined();
  });
});
