// cachedStore as it was before the change feed (ttl only, default max 1000), kept verbatim so
// `npm run bench:fleet` can compare the hit path and the installation sweep with it.
import { StoreUnavailableError } from '../../packages/core/src/errors.js';
import { Cache } from '../../packages/core/src/lib/cache.js';
import { isSecretStore, storeFailure } from '../../packages/core/src/store/contract.js';
import { bareInstallationId, sameInstallation } from '../../packages/core/src/store/installation-id.js';
import { rememberOnceIn } from '../../packages/core/src/store/remember.js';
import type { Installation, SecretStore } from '../../packages/core/src/types/store.js';

export interface CachedStoreOptions {
  /** How long (milliseconds) a record is served from memory before the backend is asked again; default 30 000. */
  ttl?: number;
  /**
   * How many installations are kept; default 1000. Beyond it the least recently used goes first
   * (approximately: a record used since the last max/2 insertions is never the one dropped).
   */
  max?: number;
}

/** A SecretStore with an in-process cache in front; `clear()` empties the cache. */
export interface CachedStore extends SecretStore {
  /** Forgets every cached record (the backend is untouched). */
  clear(): void;
  close(): Promise<void>;
}

const DEFAULT_TTL = 30_000;
const DEFAULT_MAX = 1000;

/**
 * An LRU cache in front of any store, so the hot path (one lookup per authenticated request)
 * does not pay a network round trip. `set` and `delete` through the cache invalidate it; writes
 * made by another process are seen once the entry's `ttl` has run out.
 *
 * Misses (`undefined`) are not cached: a product sends requests right after `/installed`, and an
 * install written by another instance must be visible at once, not after a negative TTL.
 * Concurrent lookups of one key share a single backend call, which bounds the load an unknown
 * `iss` can cause to one call per key at a time.
 *
 * `close()` closes the wrapped store too.
 */
export function baselineCachedStore(store: SecretStore, options: CachedStoreOptions = {}): CachedStore {
  if (!isSecretStore(store)) throw new TypeError('cachedStore: store must be a SecretStore');
  if (options === null || typeof options !== 'object') throw new TypeError('cachedStore: options must be an object');
  const ttl = options.ttl ?? DEFAULT_TTL;
  const max = options.max ?? DEFAULT_MAX;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new TypeError('cachedStore: options.ttl must be a non-negative number of milliseconds');
  }
  if (!Number.isInteger(max) || max < 1) throw new TypeError('cachedStore: options.max must be a positive integer');
  const cached = new LruCachedStore(store, ttl, max);
  // A backend without the lookup makes a wrapper without it, so a Forge route refuses it at setup.
  if (typeof store.getByInstallationId !== 'function') {
    Object.defineProperty(cached, 'getByInstallationId', { value: undefined });
  }
  return cached;
}

class LruCachedStore implements CachedStore {
  readonly #entries: Cache<string, Installation>;
  readonly #loading = new Map<string, Promise<Installation | undefined>>();
  /** bareInstallationId → clientKey, so a Forge call reuses the record cached under its clientKey. */
  readonly #clientKeys = new Map<string, string>();
  // Counts writes, so a lookup that overlapped a write does not cache what it read (writes are rare).
  #writes = 0;
  #closed = false;

  constructor(
    readonly inner: SecretStore,
    readonly ttl: number,
    readonly max: number,
  ) {
    this.#entries = new Cache({ max, ttlMs: ttl });
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    this.#assertOpen();
    const cached = this.#entries.get(clientKey);
    if (cached !== undefined) return { ...cached };
    let loading = this.#loading.get(clientKey);
    if (loading === undefined) {
      const started = this.#load(clientKey);
      loading = started;
      this.#loading.set(clientKey, started);
      // Only this lookup's own entry is removed: a write may have replaced it with a newer one.
      const forget = () => {
        if (this.#loading.get(clientKey) === started) this.#loading.delete(clientKey);
      };
      started.then(forget, forget);
    }
    const installation = await loading;
    return installation === undefined ? undefined : { ...installation };
  }

  async getByInstallationId(installationId: string): Promise<Installation | undefined> {
    this.#assertOpen();
    const key = bareInstallationId(installationId);
    const clientKey = this.#clientKeys.get(key);
    if (clientKey !== undefined) {
      const installation = await this.get(clientKey);
      // The mapping may be stale (a reinstall moved the id): then the backend decides.
      if (installation !== undefined && sameInstallation(installation.installationId, installationId)) {
        return installation;
      }
      this.#clientKeys.delete(key);
    }
    let installation: Installation | undefined | null;
    try {
      installation = await this.inner.getByInstallationId?.(installationId);
    } catch (cause) {
      throw storeFailure(cause);
    }
    if (installation === undefined || installation === null) return undefined;
    if (!this.#closed && this.ttl > 0) {
      if (this.#clientKeys.size >= this.max) this.#clientKeys.clear();
      this.#clientKeys.set(key, installation.clientKey);
    }
    return { ...installation };
  }

  async set(installation: Installation): Promise<void> {
    this.#assertOpen();
    const clientKey = installation?.clientKey;
    try {
      await this.inner.set(installation);
    } catch (cause) {
      // A store refusing a malformed record is a programming error, not an outage: keep it as is.
      if (cause instanceof TypeError) throw cause;
      throw storeFailure(cause);
    } finally {
      // Invalidate even after a failed write: the backend may or may not hold the new record.
      if (typeof clientKey === 'string') this.#invalidate(clientKey);
      const installationId = installation?.installationId;
      if (typeof installationId === 'string') this.#clientKeys.delete(bareInstallationId(installationId));
    }
  }

  async delete(clientKey: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.inner.delete(clientKey);
    } catch (cause) {
      throw storeFailure(cause);
    } finally {
      this.#invalidate(clientKey);
    }
  }

  /** Passed through uncached: only the backend can make it atomic across instances. */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    this.#assertOpen();
    try {
      return await rememberOnceIn(this.inner, key, value, ttlMs);
    } catch (cause) {
      if (cause instanceof TypeError) throw cause;
      throw storeFailure(cause);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#clientKeys.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#entries.clear();
    this.#loading.clear();
    this.#clientKeys.clear();
    await this.inner.close?.();
  }

  async #load(clientKey: string): Promise<Installation | undefined> {
    const writes = this.#writes;
    let installation: Installation | undefined | null;
    try {
      installation = await this.inner.get(clientKey);
    } catch (cause) {
      throw storeFailure(cause);
    }
    if (installation === undefined || installation === null) return undefined;
    if (this.#writes === writes) this.#remember(clientKey, { ...installation });
    return installation;
  }

  #remember(clientKey: string, installation: Installation): void {
    if (this.#closed || this.ttl === 0) return;
    this.#entries.set(clientKey, installation);
  }

  #invalidate(clientKey: string): void {
    this.#entries.delete(clientKey);
    this.#loading.delete(clientKey);
    this.#writes++;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the cached store has been closed');
  }
}
