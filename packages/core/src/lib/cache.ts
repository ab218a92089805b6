// The one in-process cache core uses: signing-key blocks, token headers, install keys and
// installations. A Map in insertion order is the recency list.

interface Entry<V> {
  value: V;
  /** `performance.now()` after which the entry is stale; Infinity without a TTL. */
  expiresAt: number;
  /** The cache's tick when the entry was last put at the young end. */
  position: number;
}

export interface CacheOptions {
  /** Entries kept at most. */
  max: number;
  /** Milliseconds an entry is served after it was set; default: until it is evicted. */
  ttlMs?: number | undefined;
}

/**
 * A bounded map with optional expiry. Eviction is least recently used, approximately: moving an
 * entry to the young end costs a Map delete and set, which in V8 costs more than the lookup
 * itself (deleted slots force rehashing), so a hit moves it only once it has drifted into the
 * older half. An entry used since the last max/2 insertions is never the one dropped.
 */
export class Cache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #max: number;
  readonly #ttlMs: number;
  #tick = 0;

  constructor(options: CacheOptions) {
    this.#max = options.max;
    this.#ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // Without a TTL the clock is never read: the hot paths (headers, HMAC keys) have none.
    if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= performance.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    if (this.#tick - entry.position > this.#max >> 1) {
      this.#entries.delete(key);
      entry.position = ++this.#tick;
      this.#entries.set(key, entry);
    }
    return entry.value;
  }

  /** The value, unless expired, without counting as a use (eviction order unchanged). */
  peek(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= performance.now()) return undefined;
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    const expiresAt = this.#ttlMs === Number.POSITIVE_INFINITY ? this.#ttlMs : performance.now() + this.#ttlMs;
    this.#entries.set(key, { value, expiresAt, position: ++this.#tick });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
