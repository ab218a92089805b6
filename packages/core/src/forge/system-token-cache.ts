import { callStore } from '../store/contract.js';
import { bareInstallationId } from '../store/installation-id.js';
import type { ForgeAuth } from '../types/forge.js';
import type { SecretStore } from '../types/store.js';

export interface SystemTokenCacheOptions {
  /** Seconds before a token's `exp` from which it is no longer handed out; default 60. */
  marginSeconds?: number;
  /** Installations kept at most (in this process, without `store`); the oldest goes first beyond it. Default 10 000. */
  maxEntries?: number;
  /**
   * Keep the tokens in this store (its `remember`/`recall`/`forget`) instead of this process's
   * memory, so a token one instance received serves every instance: then the cache is async
   * (`SharedSystemTokenCache`). A token is a credential: give an `encryptedStore` (or a
   * `cachedStore` over one) so it is kept encrypted at rest like the shared secrets.
   */
  store?: SecretStore | undefined;
}

/** A system token cache kept in a store shared by the fleet (`createSystemTokenCache({ store })`). */
export interface SharedSystemTokenCache {
  /** Keeps `auth.systemToken` for its installation, unless the store holds one that lasts longer. */
  remember(auth: Pick<ForgeAuth, 'installationId' | 'systemToken'>): Promise<void>;
  /** A system token for the installation (ARI or bare uuid) that is still valid, or undefined. */
  get(installationId: string): Promise<string | undefined>;
  delete(installationId: string): Promise<void>;
}

/** The latest system token of each installation, for work done outside a request (scheduled jobs). */
export interface SystemTokenCache {
  /** Keeps `auth.systemToken` for its installation, when it has one with a readable `exp`. */
  remember(auth: Pick<ForgeAuth, 'installationId' | 'systemToken'>): void;
  /** A system token for the installation (ARI or bare uuid) that is still valid, or undefined. */
  get(installationId: string): string | undefined;
  delete(installationId: string): void;
  clear(): void;
  readonly size: number;
}

interface Entry {
  token: string;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * Forge sends a system token (valid 2–4 h) with each invocation; a job that runs later reuses the
 * newest one. Entries end at their `exp` (less a margin, so a call made just before does not fail
 * on the way): a cache that kept expired tokens would hand jobs credentials the product refuses.
 */
export function createSystemTokenCache(options?: SystemTokenCacheOptions & { store?: undefined }): SystemTokenCache;
export function createSystemTokenCache(
  options: SystemTokenCacheOptions & { store: SecretStore },
): SharedSystemTokenCache;
export function createSystemTokenCache(
  options: SystemTokenCacheOptions = {},
): SystemTokenCache | SharedSystemTokenCache {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('createSystemTokenCache: options must be an object');
  }
  const margin = options.marginSeconds ?? 60;
  const maxEntries = options.maxEntries ?? 10_000;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new TypeError('createSystemTokenCache: options.marginSeconds must be a non-negative number');
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('createSystemTokenCache: options.maxEntries must be a positive integer');
  }
  const store = options.store;
  if (store !== undefined) {
    if (
      store === null ||
      typeof store.remember !== 'function' ||
      typeof store.recall !== 'function' ||
      typeof store.forget !== 'function'
    ) {
      throw new TypeError(
        'createSystemTokenCache: options.store must be a SecretStore with remember, recall and forget',
      );
    }
    return sharedSystemTokenCache(store, margin);
  }
  const entries = new Map<string, Entry>();
  const usable = (entry: Entry) => entry.exp - margin > Date.now() / 1000;

  return {
    remember(auth) {
      const token = auth.systemToken;
      if (typeof token !== 'string' || typeof auth.installationId !== 'string') return;
      const exp = expiryOf(token);
      if (exp === undefined) return;
      const key = bareInstallationId(auth.installationId);
      const current = entries.get(key);
      // A late request carrying an older token must not replace a fresher one.
      if (current !== undefined && usable(current) && current.exp >= exp) return;
      const entry = { token, exp };
      if (!usable(entry)) return;
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    get(installationId) {
      const key = bareInstallationId(installationId);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (usable(entry)) return entry.token;
      entries.delete(key);
      return undefined;
    },
    delete(installationId) {
      entries.delete(bareInstallationId(installationId));
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

const KEY_PREFIX = 'forge-system-token:';

/**
 * The tokens in the fleet's store: each kept for its lifetime less the margin (the store drops it
 * then, so an expired token is never handed out). Within this process one read and one write per
 * installation are in flight at a time: concurrent gets share a read, and remembers queue, so the
 * "keep the longer-lived token" check is not raced by this process's own requests.
 */
function sharedSystemTokenCache(store: SecretStore, margin: number): SharedSystemTokenCache {
  const reading = new Map<string, Promise<string | undefined>>();
  const writing = new Map<string, Promise<void>>();
  const lifetimeMs = (exp: number) => Math.floor((exp - margin) * 1000 - Date.now());
  const recallUsable = async (key: string): Promise<string | undefined> => {
    const token = await callStore(async () => store.recall?.(key));
    if (typeof token !== 'string') return undefined;
    // The store's expiry is the margin's too; checked again in case its clock runs behind ours.
    const exp = expiryOf(token);
    return exp !== undefined && lifetimeMs(exp) > 0 ? token : undefined;
  };

  return {
    async remember(auth) {
      const token = auth?.systemToken;
      if (typeof token !== 'string' || typeof auth.installationId !== 'string') return;
      const exp = expiryOf(token);
      if (exp === undefined || lifetimeMs(exp) <= 0) return;
      const key = KEY_PREFIX + bareInstallationId(auth.installationId);
      const previous = writing.get(key) ?? Promise.resolve();
      const write = previous.then(async () => {
        const current = await recallUsable(key);
        const currentExp = current === undefined ? undefined : expiryOf(current);
        // A late request carrying an older token must not replace a fresher one.
        if (currentExp !== undefined && currentExp >= exp) return;
        const ttl = lifetimeMs(exp);
        if (ttl > 0) await callStore(async () => store.remember?.(key, token, ttl));
      });
      const settled = write.catch(() => {});
      writing.set(key, settled);
      void settled.then(() => {
        if (writing.get(key) === settled) writing.delete(key);
      });
      return write;
    },
    get(installationId) {
      const key = KEY_PREFIX + bareInstallationId(installationId);
      const inFlight = reading.get(key);
      if (inFlight !== undefined) return inFlight;
      const read = recallUsable(key);
      reading.set(key, read);
      const done = () => {
        if (reading.get(key) === read) reading.delete(key);
      };
      read.then(done, done);
      return read;
    },
    async delete(installationId) {
      await callStore(async () => store.forget?.(KEY_PREFIX + bareInstallationId(installationId)));
    },
  };
}

/** The `exp` of a JWT-shaped token, read without verifying it (it is Forge's to check, only its lifetime is ours). */
function expiryOf(token: string): number | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first === -1 || second === -1) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
