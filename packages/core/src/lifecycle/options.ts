import { DEFAULT_CLOCK_TOLERANCE } from '../lib/claims.js';
import { isHttpUrl, trimTrailingSlash } from '../lib/url.js';
import { isSecretStore } from '../store/contract.js';
import { getDefaultStore } from '../store/default.js';
import type { Installation, SecretStore } from '../types/store.js';

/** Options of `connectLifecycle()` in every adapter (validated by `createLifecycleRoutes()` of the adapter kit). */
export interface LifecycleOptions {
  /** The add-on's base URL(s) from its descriptor: the only accepted `aud` of an install token. */
  baseUrl: string | string[];
  /** Where installations are written; default: the process-wide default store. */
  store?: SecretStore | undefined;
  /** Public keys are fetched from `${keyServerUrl}/${kid}`; default Atlassian's install-keys CDN. */
  keyServerUrl?: string | undefined;
  /** Called after an installation was written. */
  onInstalled?: ((installation: Installation) => void | Promise<void>) | undefined;
  /** Called after an installation was deleted. */
  onUninstalled?: ((clientKey: string) => void | Promise<void>) | undefined;
  /** Default `/installed`. */
  installedPath?: string | undefined;
  /** Default `/uninstalled`. */
  uninstalledPath?: string | undefined;
  /** Milliseconds before a key fetch is abandoned (503); default 5000. */
  keyFetchTimeoutMs?: number | undefined;
  /** Milliseconds a fetched public key is reused; default one hour. */
  keyCacheTtlMs?: number | undefined;
  /** Public keys kept at most; default 100. */
  keyCacheMaxEntries?: number | undefined;
  /** Milliseconds a kid the key server does not have is refused (401) without asking again; default 60 000. */
  missingKeyTtlMs?: number | undefined;
  /** Key fetches started in any 60 seconds at most; past it installs with a new kid get 503 + Retry-After; default 30. */
  maxKeyFetchesPerMinute?: number | undefined;
  /** Key fetches waiting for the key server at once at most; past it, 503 + Retry-After; default 4. */
  maxKeyFetchesInFlight?: number | undefined;
  /** Seconds of leeway for exp/nbf/iat; default 30. */
  clockTolerance?: number | undefined;
  /** Largest accepted lifecycle body in bytes; default 64 KiB. */
  maxBodyBytes?: number | undefined;
}

export const DEFAULT_KEY_SERVER_URL = 'https://connect-install-keys.atlassian.com';

/** Options after validation, with defaults filled in. */
export interface ResolvedLifecycleOptions {
  /** Accepted audiences, each without a trailing `/`. */
  audiences: string[];
  store: () => SecretStore;
  keyServerUrl: string;
  onInstalled: ((installation: Installation) => void | Promise<void>) | undefined;
  onUninstalled: ((clientKey: string) => void | Promise<void>) | undefined;
  installedPath: string;
  uninstalledPath: string;
  keyFetchTimeoutMs: number;
  keyCacheTtlMs: number;
  keyCacheMaxEntries: number;
  missingKeyTtlMs: number;
  maxKeyFetchesPerMinute: number;
  maxKeyFetchesInFlight: number;
  clockTolerance: number;
  maxBodyBytes: number;
}

/** Throws a TypeError naming the first bad option: mistakes surface at startup, not per request. */
export function validateLifecycleOptions(options: LifecycleOptions, caller: string): ResolvedLifecycleOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${caller}: options are required`);
  const baseUrls = typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl;
  if (!Array.isArray(baseUrls) || baseUrls.length === 0) {
    throw new TypeError(`${caller}: options.baseUrl must be the add-on's base URL or a non-empty array of them`);
  }
  for (const url of baseUrls) {
    if (typeof url !== 'string' || !isHttpUrl(url) || /[?#]/.test(url)) {
      throw new TypeError(`${caller}: options.baseUrl must hold absolute http(s) URLs without query or fragment`);
    }
  }
  if (options.store !== undefined && !isSecretStore(options.store)) {
    throw new TypeError(`${caller}: options.store must be a SecretStore (get, set, delete)`);
  }
  const keyServerUrl = options.keyServerUrl ?? DEFAULT_KEY_SERVER_URL;
  if (typeof keyServerUrl !== 'string' || !isHttpUrl(keyServerUrl) || /[?#]/.test(keyServerUrl)) {
    throw new TypeError(`${caller}: options.keyServerUrl must be an absolute http(s) URL without query or fragment`);
  }
  for (const name of ['onInstalled', 'onUninstalled'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${caller}: options.${name} must be a function`);
    }
  }
  const path = (name: 'installedPath' | 'uninstalledPath', fallback: string): string => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'string' || !/^\/[^?#\s]*$/.test(value)) {
      throw new TypeError(`${caller}: options.${name} must be a path starting with "/"`);
    }
    return value;
  };
  const installedPath = path('installedPath', '/installed');
  const uninstalledPath = path('uninstalledPath', '/uninstalled');
  if (installedPath === uninstalledPath) {
    throw new TypeError(`${caller}: options.installedPath and options.uninstalledPath must differ`);
  }
  const number = (name: keyof LifecycleOptions, fallback: number, { positive = false, integer = false } = {}) => {
    const value = options[name] ?? fallback;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      (positive && value === 0) ||
      (integer && !Number.isInteger(value))
    ) {
      throw new TypeError(`${caller}: options.${name} must be a ${positive ? 'positive' : 'non-negative'} number`);
    }
    return value;
  };
  const given = options.store;
  return {
    audiences: baseUrls.map(trimTrailingSlash),
    // Looked up per request when not given, so setDefaultStore() after setup still takes effect.
    store: given ? () => given : getDefaultStore,
    keyServerUrl: trimTrailingSlash(keyServerUrl),
    onInstalled: options.onInstalled,
    onUninstalled: options.onUninstalled,
    installedPath,
    uninstalledPath,
    keyFetchTimeoutMs: number('keyFetchTimeoutMs', 5000, { positive: true }),
    keyCacheTtlMs: number('keyCacheTtlMs', 3_600_000),
    keyCacheMaxEntries: number('keyCacheMaxEntries', 100, { positive: true, integer: true }),
    missingKeyTtlMs: number('missingKeyTtlMs', 60_000),
    maxKeyFetchesPerMinute: number('maxKeyFetchesPerMinute', 30, { positive: true, integer: true }),
    maxKeyFetchesInFlight: number('maxKeyFetchesInFlight', 4, { positive: true, integer: true }),
    clockTolerance: number('clockTolerance', DEFAULT_CLOCK_TOLERANCE),
    maxBodyBytes: number('maxBodyBytes', 64 * 1024, { positive: true, integer: true }),
  };
}
