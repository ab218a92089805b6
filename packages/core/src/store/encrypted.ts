import { createCipheriv, createDecipheriv, KeyObject, randomBytes } from 'node:crypto';
import { StoreUnavailableError } from '../errors.js';
import { bareInstallationId, sameInstallation } from '../forge/ari.js';
import { callStore, isSecretStore } from './contract.js';
import { rememberOnceIn } from './remember.js';
import {
  assertInstallation,
  assertRememberArguments,
  assertRememberKey,
  type Installation,
  type SecretStore,
  type StoreChangeListener,
} from './types.js';

/**
 * A stored shared secret could not be decrypted: the store was opened with another key than the
 * one the record was written with, or the record was altered. A 503 like any store failure (the
 * request may be fine, the server is misconfigured), and never a secret silently taken as valid.
 */
export class SecretDecryptionError extends StoreUnavailableError {}

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
}

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
  key: Uint8Array | KeyObject | string,
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
  const encrypted = new EncryptedStore(store, parseKey(key), requireEncryption);
  // A backend without an operation makes a wrapper without it, so a caller can tell (a Forge route
  // refuses a store without the lookup at setup; cachedStore falls back to its ttl without a feed).
  for (const name of ['getByInstallationId', 'remember', 'recall', 'forget', 'watch'] as const) {
    if (typeof store[name] !== 'function') Object.defineProperty(encrypted, name, { value: undefined });
  }
  return encrypted;
}

class EncryptedStore implements SecretStore {
  readonly #key: Buffer;
  #closed = false;

  constructor(
    readonly inner: SecretStore,
    key: Buffer,
    readonly requireEncryption: boolean,
  ) {
    this.#key = key;
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
        'the stored record was encrypted before its installationId was authenticated, and requireEncryption is set: write it again to upgrade it',
      );
    }
    const installation = this.#decrypted(stored, stored.clientKey);
    // For v2 the id is authenticated by now: a record naming another installation is not this one.
    return sameInstallation(installation?.installationId, installationId) ? installation : undefined;
  }

  #decrypted(stored: Installation | undefined | null, storedUnder: unknown): Installation | undefined {
    if (stored === undefined || stored === null) return undefined;
    const secret = stored.sharedSecret;
    if (typeof secret !== 'string' || !secret.startsWith('enc:')) {
      if (this.requireEncryption) {
        throw new SecretDecryptionError('the stored shared secret is not encrypted, and requireEncryption is set');
      }
      return stored;
    }
    const clientKey = String(storedUnder);
    const associated = secret.startsWith(V2)
      ? boundData(clientKey, authenticatedInstallationId(stored.installationId))
      : clientKey;
    return { ...stored, sharedSecret: this.#decrypt(secret, associated) };
  }

  async set(installation: Installation): Promise<void> {
    this.#assertOpen();
    assertInstallation(installation);
    if (typeof installation.sharedSecret !== 'string') {
      throw new TypeError('set: installation.sharedSecret must be a string');
    }
    const { installationId } = installation;
    if (installationId !== undefined && installationId !== null && typeof installationId !== 'string') {
      throw new TypeError('set: installation.installationId must be a string');
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
    await callStore(() => this.inner.set({ ...installation, sharedSecret }));
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
    return this.#decrypt(stored, rememberedData(key), 'remembered value');
  }

  async forget(key: string): Promise<void> {
    this.#assertOpen();
    assertRememberKey(key, 'forget');
    await callStore(async () => this.inner.forget?.(key));
  }

  /** Passed through: a change names a clientKey and an installationId, never a secret. */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    return callStore(async () => {
      const unwatch = await this.inner.watch?.(listener);
      if (typeof unwatch !== 'function') throw new TypeError('watch: the wrapped store has no change feed');
      return unwatch;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.inner.close?.();
  }

  /** base64url(iv ‖ ciphertext ‖ tag), without the version prefix. */
  #encrypt(secret: string, associated: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  #decrypt(stored: string, associated: string, what = 'stored shared secret'): string {
    const prefix = [V1, V2].find((version) => stored.startsWith(version));
    if (prefix === undefined) {
      throw new SecretDecryptionError(`the ${what} uses an unknown encryption format`);
    }
    const raw = Buffer.from(stored.slice(prefix.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new SecretDecryptionError(`the ${what} is truncated`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(associated, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretDecryptionError(`the ${what} could not be decrypted: wrong encryption key or altered record`, {
        cause,
      });
    }
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
function authenticatedInstallationId(installationId: unknown): string {
  if (typeof installationId === 'string') return bareInstallationId(installationId);
  throw new SecretDecryptionError('the stored shared secret could not be decrypted: altered record');
}

function parseKey(key: unknown): Buffer {
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
      'encryptedStore: key must be 32 bytes: a Buffer, a secret KeyObject, 64 hex characters (openssl rand -hex 32) or 44 base64 ones (openssl rand -base64 32)',
    );
  }
  return bytes;
}
