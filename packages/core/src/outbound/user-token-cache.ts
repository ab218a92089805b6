import { createHash } from 'node:crypto';
import { Cache } from '../lib/cache.js';
import type { SecretStore } from '../types/store.js';
import { requestUserToken, type TokenRequest, UserAccessToken } from './user-token-grant.js';

// Where user tokens are kept: this process, and a store in front of which it sits when the
// caller gives one, so that a fleet asks once per user.

const MAX_LOCAL_ENTRIES = 10_000;
const STORE_KEY_PREFIX = 'connect-jwt:user-token:';

/** Tokens per process, and per store in front of it: a hit costs a Map lookup, no store round trip. */
export class TokenCache {
  readonly #local = new Cache<string, UserAccessToken>({ max: MAX_LOCAL_ENTRIES });
  /** One token request per key at a time: 50 concurrent callers share its answer. */
  readonly #inFlight = new Map<string, Promise<UserAccessToken>>();
  readonly #store: SecretStore | undefined;

  constructor(store?: SecretStore) {
    this.#store = store;
  }

  /** A cached token still usable now, from this process. */
  local(key: string): UserAccessToken | undefined {
    const token = this.#local.get(key);
    if (token === undefined) return undefined;
    if (token.expiresAt > Date.now()) return token;
    this.#local.delete(key);
    return undefined;
  }

  get(request: TokenRequest): Promise<UserAccessToken> {
    let pending = this.#inFlight.get(request.key);
    if (pending === undefined) {
      pending = this.#fill(request).finally(() => this.#inFlight.delete(request.key));
      this.#inFlight.set(request.key, pending);
    }
    return request.signal === undefined ? pending : abortable(pending, request.signal);
  }

  /** Drops `token` (the product refused it) unless a newer one already replaced it. */
  async drop(key: string, token: UserAccessToken): Promise<void> {
    if (this.#local.get(key) === token) this.#local.delete(key);
    if (this.#store === undefined) return;
    const storeKey = storeKeyOf(key);
    // Another instance may have stored a newer token meanwhile; forgetting it would only cost a request.
    const stored = await this.#store.recall?.(storeKey).catch(() => undefined);
    if (stored === undefined || readStored(stored)?.accessToken === token.accessToken) {
      await this.#store.forget?.(storeKey).catch(() => {});
    }
  }

  async #fill(request: TokenRequest): Promise<UserAccessToken> {
    const shared = await this.#recall(request.key);
    if (shared !== undefined) {
      this.#local.set(request.key, shared);
      return shared;
    }
    const token = await requestUserToken(request);
    this.#local.set(request.key, token);
    if (this.#store !== undefined) {
      const ttlMs = Math.floor(token.expiresAt - Date.now());
      // The store is only a cache: when it is down, the token still serves this process.
      if (ttlMs >= 1) {
        await this.#store
          .remember?.(storeKeyOf(request.key), JSON.stringify({ t: token.accessToken, e: token.expiresAt }), ttlMs)
          .catch(() => {});
      }
    }
    return token;
  }

  async #recall(key: string): Promise<UserAccessToken | undefined> {
    if (this.#store === undefined) return undefined;
    const stored = await this.#store.recall?.(storeKeyOf(key)).catch(() => undefined);
    const token = stored === undefined ? undefined : readStored(stored);
    return token !== undefined && token.expiresAt > Date.now() ? token : undefined;
  }
}

/** The store key: hashed, so an accountId or a clientKey is not spelled out in the store. */
function storeKeyOf(key: string): string {
  return `${STORE_KEY_PREFIX}${createHash('sha256').update(key).digest('base64url')}`;
}

function readStored(value: string): UserAccessToken | undefined {
  try {
    const parsed = JSON.parse(value) as { t?: unknown; e?: unknown };
    return typeof parsed.t === 'string' && typeof parsed.e === 'number'
      ? new UserAccessToken(parsed.t, parsed.e)
      : undefined;
  } catch {
    return undefined;
  }
}

const processCache = new TokenCache();
const storeCaches = new WeakMap<SecretStore, TokenCache>();

/** The cache for `store` (one per store object, so its local layer lasts across calls), or this process's. */
export function tokenCacheFor(store: SecretStore | undefined): TokenCache {
  if (store === undefined) return processCache;
  let cache = storeCaches.get(store);
  if (cache === undefined) {
    cache = new TokenCache(store);
    storeCaches.set(store, cache);
  }
  return cache;
}

/** `pending`, or the abort reason of `signal` as soon as it fires: this caller stops waiting, the request goes on. */
function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
