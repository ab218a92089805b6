import { createCipheriv, createDecipheriv, KeyObject, randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { SecretDecryptionError, StoreUnavailableError } from '../errors.js';
import type { Installation, SecretStore, StoreChangeListener } from '../types/store.js';
import { assertInstallation, assertRememberArguments, assertRememberKey, assertReplaceArguments } from './assert.js';
import { callStore, isSecretStore, storeFailure, watchWrapped, withoutMissingMembers } from './contract.js';
import { bareInstallationId, sameInstallation } from './installation-id.js';
import { rememberOnceIn } from './remember.js';

/**
 * `enc:v1:` / `enc:v2:` + base64url(iv ‖ ciphertext ‖ tag). v1 authenticates the clientKey; v2, used
 * for a record with an `installationId`, authenticates that too, so the Forge lookup can trust it.
 */
const V1 = 'enc:v1:';
const V2 = 'enc:v2:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface EncryptedStoreOptions {
  /**
   * Refuse a record whose secret is not encrypted (SecretDecryptionError) instead of reading it as
   * it is: turn on once every record has been rewritten, so a plaintext row planted by someone who
   * can write the table (but has no key) is never taken as a secret. Default false.
   */
  requireEncryption?: boolean | undefined;
  /**
   * Keys records may still be encrypted under, in the same forms as `key`: read, never written
   * (every write uses `key`). How a key is rotated without downtime: see the README.
   */
  previousKeys?: readonly EncryptionKey[] | undefined;
}

/** An AES-256 key: 32 bytes, a secret KeyObject, 64 hex characters or 43–44 base64(url) ones. */
export type EncryptionKey = Uint8Array | KeyObject | string;

/**
 * Wraps a store so `sharedSecret` is kept encrypted at rest with AES-256-GCM (a random 12-byte IV
 * per write). The clientKey the record is stored under is authenticated with it: read back, the
 * key it was looked up by must be that one, so a ciphertext copied onto another installation's
 * row does not decrypt. A record's `installationId` is authenticated too (ARI and bare uuid alike),
 * and `getByInstallationId` returns a record only when that authenticated id is the one looked up,
 * so a row whose plaintext `installationId` was rewritten does not answer for another installation.
 * Records written before encryption was turned on (a secret without the `enc:` prefix) are read as
 * they are, unless `requireEncryption`, and get encrypted on the next write. Records encrypted
 * before the installationId was authenticated (`enc:v1:` with an `installationId`) are still read
 * by `get`; `getByInstallationId` accepts them like plaintext ones, only without
 * `requireEncryption`; the next write upgrades them.
 *
 * `key`: 32 bytes, as a Buffer/Uint8Array, a secret KeyObject, 64 hex characters
 * (`openssl rand -hex 32`) or 44 base64/base64url ones, 43 without the `=` (`openssl rand -base64 32`).
 * `close()` closes the wrapped store too.
 */
export function encryptedStore(
  store: SecretStore,
  key: EncryptionKey,
  options: EncryptedStoreOptions = {},
): SecretStore & {
  close(): Promise<void>;
} {
  if (!isSecretStore(store)) throw new TypeError('encryptedStore: store must be a SecretStore');
  if (options === null || typeof options !== 'object') throw new TypeError('encryptedStore: options must be an object');
  const requireEncryption = options.requireEncryption ?? false;
  if (typeof requireEncryption !== 'boolean') {
    throw new TypeError('encryptedStore: options.requireEncryption must be a boolean');
  }
  const encrypted = new EncryptedStore(store, encryptionKeys(key, options.previousKeys), requireEncryption);
  return withoutMissingMembers(encrypted, store);
}

/** Not exported from the package: re-encrypt also needs to know which key opened a record. */
export class EncryptedStore implements SecretStore {
  /** The current key first, then the previous ones. */
  readonly #keys: readonly Buffer[];
  #closed = false;

  constructor(
    readonly inner: SecretStore,
    keys: readonly Buffer[],
    readonly requireEncryption: boolean,
  ) {
    this.#keys = keys;
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    this.#assertOpen();
    // Bound to the key it is looked up by, not to the clientKey the record claims: a row copied
    // onto the victim's key carries the copier's clientKey, and would otherwise decrypt.
    return this.#decrypted(await callStore(() => this.inner.get(clientKey)), clientKey);
  }

  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    this.#assertOpen();
    const stored = await callStore(async () => this.inner.getByInstallationId?.(installationId));
    if (stored === undefined || stored === null) return undefined;
    if (typeof stored.sharedSecret === 'string' && stored.sharedSecret.startsWith(V1) && this.requireEncryption) {
      throw new SecretDecryptionError(
        `the stored record of ${named(stored.clientKey)} was encrypted before its installationId was authenticated, and requireEncryption is set: write it again to upgrade it`,
      );
    }
    const installation = this.#decrypted(stored, stored.clientKey);
    // For v2 the id is authenticated by now: a record naming another installation is not this one.
    return sameInstallation(installation?.installationId, installationId) ? installation : undefined;
  }

  /** Every installation, decrypted; a row no listed key opens ends the iteration with a SecretDecryptionError. */
  async *installations(): AsyncIterable<Installation> {
    this.#assertOpen();
    try {
      for await (const stored of this.inner.installations?.() ?? []) {
        this.#assertOpen();
        yield this.openRecord(stored, stored.clientKey).installation;
      }
    } catch (cause) {
      throw storeFailure(cause);
    }
  }

  #decrypted(stored: Installation | undefined | null, storedUnder: unknown): Installation | undefined {
    return stored === undefined || stored === null ? undefined : this.openRecord(stored, storedUnder).installation;
  }

  /**
   * The record with its secret decrypted, and which key opened it: 0 the current one, 1… a
   * previous one, -1 none (a record in clear). Re-encrypt rewrites all but 0 (and v1 records
   * that carry an installationId, to bind it).
   */
  openRecord(stored: Installation, storedUnder: unknown): { installation: Installation; keyIndex: number } {
    const secret = stored.sharedSecret;
    if (typeof secret !== 'string' || !secret.startsWith('enc:')) {
      if (this.requireEncryption) {
        throw new SecretDecryptionError(
          `the stored shared secret of ${named(storedUnder)} is not encrypted, and requireEncryption is set`,
        );
      }
      return { installation: stored, keyIndex: -1 };
    }
    const clientKey = String(storedUnder);
    const associated = secret.startsWith(V2)
      ? boundData(clientKey, authenticatedInstallationId(stored.installationId, clientKey))
      : clientKey;
    const { plaintext, keyIndex } = this.#decrypt(secret, associated, `stored shared secret of ${named(clientKey)}`);
    return { installation: { ...stored, sharedSecret: plaintext }, keyIndex };
  }

  async set(installation: Installation): Promise<void> {
    this.#assertOpen();
    const sealed = this.sealRecord(installation, 'set');
    await callStore(() => this.inner.set(sealed));
  }

  /**
   * Writes `next` only while the row still opens to `expected` (the record as `get` returned it):
   * the stored row is read, compared decrypted, and handed to the backend's own `replace` as the
   * row expected, so a write landing after the read is still refused there.
   */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    this.#assertOpen();
    assertReplaceArguments(expected, next);
    const sealed = this.sealRecord(next, 'replace');
    const stored = await callStore(() => this.inner.get(next.clientKey));
    if (stored === undefined || stored === null) return false;
    const opened = this.openRecord(stored, next.clientKey).installation;
    if (!isDeepStrictEqual(opened, { ...expected })) return false;
    return callStore(async () => (await this.inner.replace?.(stored, sealed)) === true);
  }

  /**
   * The record as it is stored: its secret encrypted under the current key and bound to its
   * clientKey (and installationId). What `set` writes; re-encrypt writes it through `replace`.
   */
  sealRecord(installation: Installation, caller = 'set'): Installation {
    assertInstallation(installation, caller);
    if (typeof installation.sharedSecret !== 'string') {
      throw new TypeError(`${caller}: installation.sharedSecret must be a string`);
    }
    const { installationId } = installation;
    if (installationId !== undefined && installationId !== null && typeof installationId !== 'string') {
      throw new TypeError(`${caller}: installation.installationId must be a string`);
    }
    // Without an installationId there is nothing more to bind: v1, as before.
    const sharedSecret =
      typeof installationId === 'string'
        ? V2 +
          this.#encrypt(
            installation.sharedSecret,
            boundData(installation.clientKey, bareInstallationId(installationId)),
          )
        : V1 + this.#encrypt(installation.sharedSecret, installation.clientKey);
    return { ...installation, sharedSecret };
  }

  async delete(clientKey: string): Promise<void> {
    this.#assertOpen();
    await callStore(() => this.inner.delete(clientKey));
  }

  /**
   * Sealed like `remember`, since it shares the keyspace: a value remembered by either is recalled
   * alike. The answer is the caller's own value when this call stored it, else the earlier one opened.
   */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    this.#assertOpen();
    assertRememberArguments(key, value, ttlMs);
    const sealed = this.#seal(key, value);
    const held = await callStore(() => rememberOnceIn(this.inner, key, sealed, ttlMs));
    return held === sealed ? value : this.#open(key, held);
  }

  /**
   * Encrypted like a shared secret, bound to `key`: what a fleet remembers (a Forge system or user
   * token) is a credential, and a value copied onto another key does not decrypt there.
   */
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    this.#assertOpen();
    assertRememberArguments(key, value, ttlMs, 'remember');
    const sealed = this.#seal(key, value);
    await callStore(async () => this.inner.remember?.(key, sealed, ttlMs));
  }

  async recall(key: string): Promise<string | undefined> {
    this.#assertOpen();
    assertRememberKey(key, 'recall');
    const stored = await callStore(async () => this.inner.recall?.(key));
    return stored === undefined || stored === null ? undefined : this.#open(key, stored);
  }

  #seal(key: string, value: string): string {
    return V1 + this.#encrypt(value, rememberedData(key));
  }

  /** A remembered value as stored: decrypted, or as it is when written before encryption (unless required). */
  #open(key: string, stored: string): string {
    if (!stored.startsWith('enc:')) {
      if (this.requireEncryption) {
        throw new SecretDecryptionError('the remembered value is not encrypted, and requireEncryption is set');
      }
      return stored;
    }
    return this.#decrypt(stored, rememberedData(key), 'remembered value').plaintext;
  }

  async forget(key: string): Promise<void> {
    this.#assertOpen();
    assertRememberKey(key, 'forget');
    await callStore(async () => this.inner.forget?.(key));
  }

  /** Passed through: a change names a clientKey and an installationId, never a secret. */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    return watchWrapped(this.inner, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.inner.close?.();
  }

  /** base64url(iv ‖ ciphertext ‖ tag), without the version prefix. */
  #encrypt(secret: string, associated: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0] as Buffer, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** Tries the current key, then each previous one: GCM's tag tells a wrong key from the right one. */
  #decrypt(stored: string, associated: string, what: string): { plaintext: string; keyIndex: number } {
    const prefix = [V1, V2].find((version) => stored.startsWith(version));
    if (prefix === undefined) {
      throw new SecretDecryptionError(`the ${what} uses an unknown encryption format`);
    }
    const raw = Buffer.from(stored.slice(prefix.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new SecretDecryptionError(`the ${what} is truncated`);
    }
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    let cause: unknown;
    for (const [keyIndex, key] of this.#keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(associated, 'utf8'));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return { plaintext: Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'), keyIndex };
      } catch (error) {
        cause = error;
      }
    }
    throw new SecretDecryptionError(
      `the ${what} could not be decrypted with the current key${this.#keys.length > 1 ? ' or any previous key' : ''}: wrong encryption key (one no longer listed?) or altered record`,
      { cause },
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the encrypted store has been closed');
  }
}

/**
 * A remembered value's associated data: its key, marked so that no installation record (bound to a
 * bare clientKey or a JSON pair) can be decrypted as a remembered value, nor the other way round.
 */
function rememberedData(key: string): string {
  return `remember:${key}`;
}

/** v2 associated data: both fields, unambiguously joined (neither can borrow from the other). */
function boundData(clientKey: string, installationId: string): string {
  return JSON.stringify([clientKey, installationId]);
}

/** The installationId a v2 record was bound to, as read back: `set` only binds a string. */
function authenticatedInstallationId(installationId: unknown, clientKey: string): string {
  if (typeof installationId === 'string') return bareInstallationId(installationId);
  throw new SecretDecryptionError(
    `the stored shared secret of ${named(clientKey)} could not be decrypted: altered record`,
  );
}

/** An installation as an error names it: its clientKey (never a secret), quoted and escaped. */
function named(clientKey: unknown): string {
  return `installation ${JSON.stringify(String(clientKey))}`;
}

/** The current key, then the previous ones; a previous key equal to the current one is a mistake. */
export function encryptionKeys(key: unknown, previousKeys: unknown, where = 'encryptedStore'): Buffer[] {
  const keys = [parseKey(key, 'key', where)];
  if (previousKeys === undefined) return keys;
  if (!Array.isArray(previousKeys)) throw new TypeError(`${where}: options.previousKeys must be an array of keys`);
  for (const [index, previous] of previousKeys.entries()) {
    const bytes = parseKey(previous, `options.previousKeys[${index}]`, where);
    // Said by position only: the message must not carry the key.
    const same = keys.findIndex((known) => known.equals(bytes));
    if (same === 0) throw new TypeError(`${where}: options.previousKeys[${index}] is the current key`);
    if (same > 0)
      throw new TypeError(`${where}: options.previousKeys[${index}] repeats options.previousKeys[${same - 1}]`);
    keys.push(bytes);
  }
  return keys;
}

function parseKey(key: unknown, name: string, where: string): Buffer {
  let bytes: Buffer | undefined;
  if (key instanceof KeyObject) {
    if (key.type === 'secret') bytes = key.export();
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  } else if (typeof key === 'string') {
    if (/^[0-9a-fA-F]{64}$/.test(key)) bytes = Buffer.from(key, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(key)) bytes = Buffer.from(key, 'base64');
  }
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    throw new TypeError(
      `${where}: ${name} must be 32 bytes: a Buffer, a secret KeyObject, 64 hex characters (openssl rand -hex 32) or 44 base64 ones (openssl rand -base64 32)`,
    );
  }
  return bytes;
}
