import { StoreUnavailableError } from '../errors.js';
import { Cache } from '../lib/cache.js';
import type { Installation, SecretStore, StoreChange, StoreChangeListener } from '../types/store.js';
import { isSecretStore, storeFailure, watchWrapped, withoutMissingMembers } from './contract.js';
import { bareInstallationId, sameInstallation } from './installation-id.js';
import { rememberOnceIn } from './remember.js';

/** What `onFeedStatus` is told: once when a change feed is lost, once when it is back. */
export type FeedStatus =
  | {
      /** The feed is lost: records are served for at most `ttl` until it is back. */
      state: 'down';
      /** What the store reported (a driver error): may name a host, never a secret of ours. */
      error: unknown;
    }
  | {
      /** The feed is back and the cache was flushed, since writes made meanwhile may have been missed. */
      state: 'up';
      /** How long (milliseconds) it was down. */
      downForMs: number;
    };

export interface CachedStoreOptions {
  /**
   * How long (milliseconds) a record is served from memory before the backend is asked again;
   * default 30 000. Over a store with a change feed (`watch`) it applies only while the feed is
   * down: while it is up, a write through any instance evicts the record everywhere instead.
   */
  ttl?: number;
  /**
   * How many installations are kept; default 100 000 (about 1 KB each with a typical install
   * payload, so up to about 100 MB). Beyond it the least recently used goes first (approximately:
   * a record used since the last max/2 insertions is never the one dropped).
   */
  max?: number;
  /**
   * Told once when the store's change feed goes down (records then live for `ttl`) and once when
   * it is back (the cache is flushed). Default: one `console.warn` line for each.
   */
  onFeedStatus?: (status: FeedStatus) => void;
}

/** A SecretStore with an in-process cache in front; `clear()` empties the cache. */
export interface CachedStore extends SecretStore {
  /** Forgets every cached record (the backend is untouched). */
  clear(): void;
  /**
   * Reads `clientKey` from the backend again, bypassing the cache, and caches what it finds: for
   * a token that failed the signature check against the cached record (a reinstall whose change
   * the feed has not delivered yet). At most one read per key is in flight and at most one starts
   * per second per key; a call within that second answers what is cached, so forged tokens for a
   * known `iss` cannot turn into one backend read each.
   */
  revalidate(clientKey: string): Promise<Installation | undefined>;
  close(): Promise<void>;
}

const DEFAULT_TTL = 30_000;
/** Sized for the largest vendors (10 000 to 100 000 installations): see `max`. */
export const DEFAULT_CACHE_MAX = 100_000;
/** At most one revalidating read per key starts within this many milliseconds. */
const REVALIDATE_INTERVAL_MS = 1000;

/**
 * An LRU cache in front of any store, so the hot path (one lookup per authenticated request)
 * does not pay a network round trip. `set` and `delete` through the cache invalidate it.
 *
 * Over a store with a change feed (`watch`: every store shipped here), it subscribes, and a write
 * made through any instance evicts that record (and its installationId) in every instance. While
 * the feed is down, records are served for at most `ttl` and `onFeedStatus` says so once; when the
 * store has resubscribed, everything is flushed, since writes made meanwhile may have been missed.
 * Over a store without a feed, writes made by another process are seen once the entry's `ttl` has
 * run out.
 *
 * Misses (`undefined`) are not cached: a product sends requests right after `/installed`, and an
 * install written by another instance must be visible at once, not after a negative TTL.
 * Concurrent lookups of one key share a single backend call, which bounds the load an unknown
 * `iss` can cause to one call per key at a time.
 *
 * `remember`, `recall`, `forget` and `watch` pass through uncached. `close()` ends the
 * subscription and closes the wrapped store too.
 */
export function cachedStore(store: SecretStore, options: CachedStoreOptions = {}): CachedStore {
  if (!isSecretStore(store)) throw new TypeError('cachedStore: store must be a SecretStore');
  if (options === null || typeof options !== 'object') throw new TypeError('cachedStore: options must be an object');
  const ttl = options.ttl ?? DEFAULT_TTL;
  const max = options.max ?? DEFAULT_CACHE_MAX;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new TypeError('cachedStore: options.ttl must be a non-negative number of milliseconds');
  }
  if (!Number.isInteger(max) || max < 1) throw new TypeError('cachedStore: options.max must be a positive integer');
  const onFeedStatus = options.onFeedStatus ?? warnFeedStatus;
  if (typeof onFeedStatus !== 'function') throw new TypeError('cachedStore: options.onFeedStatus must be a function');
  const cached = new LruCachedStore(store, ttl, max, onFeedStatus);
  return withoutMissingMembers(cached, store);
}

function warnFeedStatus(status: FeedStatus): void {
  if (status.state === 'down') {
    const reason = status.error instanceof Error ? `: ${status.error.message}` : '';
    console.warn(
      `connect-jwt cachedStore: change feed down${reason}; records are served for at most ttl until it is back`,
    );
  } else {
    console.warn(`connect-jwt cachedStore: change feed back after ${Math.round(status.downForMs)} ms; cache flushed`);
  }
}

/** A cached record and when it was read (performance.now()), for the ttl while the feed is down. */
interface Held {
  installation: Installation;
  readAt: number;
}

class LruCachedStore implements CachedStore {
  readonly #entries: Cache<string, Held>;
  readonly #loading = new Map<string, Promise<Installation | undefined>>();
  /** bareInstallationId → clientKey, so a Forge call reuses the record cached under its clientKey. */
  readonly #clientKeys = new Map<string, string>();
  /** clientKey → the revalidating read in flight. */
  readonly #revalidating = new Map<string, Promise<Installation | undefined>>();
  /** clientKey → when (performance.now()) its last revalidating read started; oldest first. */
  readonly #revalidated = new Map<string, number>();
  readonly #feed: boolean;
  // Counts writes, so a lookup that overlapped a write does not cache what it read (writes are rare).
  #writes = 0;
  #closed = false;
  /** Whether the change feed is delivering: only then is a record served beyond the ttl. */
  #feedUp = false;
  /** performance.now() when the feed went down (already reported), or undefined. */
  #downSince: number | undefined;
  #everUp = false;
  #unwatch: Promise<(() => Promise<void>) | undefined> | undefined;

  constructor(
    readonly inner: SecretStore,
    readonly ttl: number,
    readonly max: number,
    readonly onFeedStatus: (status: FeedStatus) => void,
  ) {
    this.#feed = typeof inner.watch === 'function';
    // With a feed, entries carry their read time and the ttl is checked only while it is down.
    this.#entries = new Cache({ max, ttlMs: this.#feed ? undefined : ttl });
  }

  async get(clientKey: string): Promise<Installation | undefined> {
    this.#assertOpen();
    const cached = this.#fresh(clientKey);
    if (cached !== undefined) return { ...cached };
    // Subscribed on first use, as a store connects then: a cache made and never used opens nothing.
    if (this.#unwatch === undefined && this.#feed) this.#subscribe();
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
    if (this.#unwatch === undefined && this.#feed) this.#subscribe();
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
    const writes = this.#writes;
    let installation: Installation | undefined | null;
    try {
      installation = await this.inner.getByInstallationId?.(installationId);
    } catch (cause) {
      throw storeFailure(cause);
    }
    if (installation === undefined || installation === null) return undefined;
    if (!this.#closed && this.ttl > 0 && this.#writes === writes) {
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
      if (typeof clientKey === 'string') {
        const installationId = installation?.installationId;
        this.#evict({ clientKey, ...(typeof installationId === 'string' && { installationId }) });
      }
    }
  }

  /** Passed through (only the backend can compare and write at once); the key is evicted either way. */
  async replace(expected: Installation, next: Installation): Promise<boolean> {
    this.#assertOpen();
    const clientKey = next?.clientKey;
    try {
      return await passThrough(async () => (await this.inner.replace?.(expected, next)) === true);
    } finally {
      if (typeof clientKey === 'string') {
        const installationId = next?.installationId;
        this.#evict({ clientKey, ...(typeof installationId === 'string' && { installationId }) });
      }
    }
  }

  async delete(clientKey: string): Promise<void> {
    this.#assertOpen();
    try {
      await this.inner.delete(clientKey);
    } catch (cause) {
      throw storeFailure(cause);
    } finally {
      this.#evict({ clientKey });
    }
  }

  revalidate(clientKey: string): Promise<Installation | undefined> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const inFlight = this.#revalidating.get(clientKey);
    if (inFlight !== undefined) return inFlight.then(copyOf);
    const now = performance.now();
    const last = this.#revalidated.get(clientKey);
    if (last !== undefined && now - last < REVALIDATE_INTERVAL_MS) {
      return Promise.resolve(copyOf(this.#entries.peek(clientKey)?.installation));
    }
    this.#noteRevalidation(clientKey, now);
    const started = this.#load(clientKey, true);
    this.#revalidating.set(clientKey, started);
    const done = () => {
      if (this.#revalidating.get(clientKey) === started) this.#revalidating.delete(clientKey);
    };
    started.then(done, done);
    return started.then(copyOf);
  }

  /** Passed through uncached: listing every installation would only flush the hot ones. */
  async *installations(): AsyncIterable<Installation> {
    this.#assertOpen();
    try {
      for await (const installation of this.inner.installations?.() ?? []) {
        this.#assertOpen();
        yield installation;
      }
    } catch (cause) {
      throw storeFailure(cause);
    }
  }

  /** Passed through uncached: only the backend can make it atomic across instances. */
  async rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    this.#assertOpen();
    return passThrough(() => rememberOnceIn(this.inner, key, value, ttlMs));
  }

  /** Passed through uncached: a remembered value is shared by the fleet, so the backend holds it. */
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    this.#assertOpen();
    return passThrough(async () => this.inner.remember?.(key, value, ttlMs));
  }

  async recall(key: string): Promise<string | undefined> {
    this.#assertOpen();
    return passThrough(async () => (await this.inner.recall?.(key)) ?? undefined);
  }

  async forget(key: string): Promise<void> {
    this.#assertOpen();
    return passThrough(async () => this.inner.forget?.(key));
  }

  /** The backend's own feed, for another subscriber (this cache has its own subscription). */
  async watch(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#assertOpen();
    return watchWrapped(this.inner, listener);
  }

  clear(): void {
    this.#entries.clear();
    this.#clientKeys.clear();
    // A lookup in flight read before the flush: it must not cache what it read.
    this.#writes++;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#entries.clear();
    this.#loading.clear();
    this.#clientKeys.clear();
    this.#revalidating.clear();
    this.#revalidated.clear();
    try {
      const unwatch = await this.#unwatch;
      await unwatch?.();
    } catch {
      // The subscription may be gone with its connection already: closing the store ends it anyway.
    }
    await this.inner.close?.();
  }

  #subscribe(): void {
    const listener: StoreChangeListener = {
      change: (change) => this.#evict(change),
      up: () => this.#feedIsUp(),
      down: (error) => this.#feedIsDown(error),
    };
    this.#unwatch = Promise.resolve()
      .then(() => this.inner.watch?.(listener))
      .then(
        (unwatch) => {
          // Closed while subscribing: end the subscription at once.
          if (this.#closed && typeof unwatch === 'function') void unwatch().catch(() => {});
          return unwatch;
        },
        (error: unknown) => {
          // The store could not even start its feed: the ttl applies, as while any outage.
          this.#feedIsDown(error);
          return undefined;
        },
      );
  }

  #feedIsUp(): void {
    if (this.#closed) return;
    const downSince = this.#downSince;
    // The first up flushes too: records read before it may predate a write the feed never carried.
    if (downSince !== undefined || !this.#everUp) this.clear();
    this.#feedUp = true;
    this.#everUp = true;
    this.#downSince = undefined;
    if (downSince !== undefined) this.#report({ state: 'up', downForMs: performance.now() - downSince });
  }

  #feedIsDown(error: unknown): void {
    if (this.#closed) return;
    this.#feedUp = false;
    if (this.#downSince !== undefined) return;
    this.#downSince = performance.now();
    this.#report({ state: 'down', error });
  }

  #report(status: FeedStatus): void {
    try {
      this.onFeedStatus(status);
    } catch {
      // A failing log hook must not break the feed.
    }
  }

  /** The cached record, when it may still be served. */
  #fresh(clientKey: string): Installation | undefined {
    const held = this.#entries.get(clientKey);
    if (held === undefined) return undefined;
    // Over a feed that is down (or not up yet), a record is trusted for the ttl only.
    if (this.#feed && !this.#feedUp && performance.now() - held.readAt > this.ttl) {
      this.#entries.delete(clientKey);
      return undefined;
    }
    return held.installation;
  }

  async #load(clientKey: string, revalidating = false): Promise<Installation | undefined> {
    const writes = this.#writes;
    const readAt = performance.now();
    let installation: Installation | undefined | null;
    try {
      installation = await this.inner.get(clientKey);
    } catch (cause) {
      throw storeFailure(cause);
    }
    if (installation === undefined || installation === null) {
      // The backend no longer has it (an uninstall not yet heard of): stop serving the cached one.
      if (revalidating && this.#writes === writes) this.#evict({ clientKey });
      return undefined;
    }
    if (this.#writes === writes && !this.#closed && this.ttl > 0) {
      this.#entries.set(clientKey, { installation: { ...installation }, readAt });
    }
    return installation;
  }

  /** Forgets the record and its installationId mapping (a write here or, through the feed, anywhere). */
  #evict(change: StoreChange): void {
    const { clientKey, installationId } = change;
    const previous = this.#entries.peek(clientKey)?.installation.installationId;
    if (typeof previous === 'string') this.#clientKeys.delete(bareInstallationId(previous));
    if (typeof installationId === 'string') this.#clientKeys.delete(bareInstallationId(installationId));
    this.#entries.delete(clientKey);
    this.#loading.delete(clientKey);
    this.#writes++;
  }

  #noteRevalidation(clientKey: string, now: number): void {
    this.#revalidated.delete(clientKey);
    this.#revalidated.set(clientKey, now);
    // Oldest first: drop the starts older than the interval, they no longer limit anything.
    for (const [key, startedAt] of this.#revalidated) {
      if (now - startedAt < REVALIDATE_INTERVAL_MS) break;
      this.#revalidated.delete(key);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the cached store has been closed');
  }
}

function copyOf(installation: Installation | undefined): Installation | undefined {
  return installation === undefined ? undefined : { ...installation };
}

async function passThrough<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    // An argument mistake stays a TypeError; anything else is the backend's failure.
    if (cause instanceof TypeError) throw cause;
    throw storeFailure(cause);
  }
}
