import { isHttpUrl, trimTrailingSlashes } from '../lib/url.js';
import type { Installation, SecretStore } from '../types/store.js';
import { tokenCacheFor } from './user-token-cache.js';
import { authorizationServerFor, type TokenRequest, type UserAccessToken } from './user-token-grant.js';

export { UserAccessToken } from './user-token-grant.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface UserAccessTokenOptions {
  /** The Atlassian accountId to act as. */
  accountId: string;
  /** Upper-case scopes (`['READ', 'WRITE']`); default the descriptor's scopes. */
  scopes?: readonly string[];
  /** Default: Atlassian's server for the site's host (staging and government clouds have their own). */
  authorizationServerUrl?: string;
  /**
   * A store with `remember`/`recall`/`forget` that keeps tokens for a whole fleet (give it the
   * `encryptedStore`, so tokens are encrypted at rest like secrets). Default: this process only.
   */
  cache?: SecretStore;
  /** Milliseconds before the token request is given up; default 10 000. */
  timeoutMs?: number;
  /** Stops waiting for the token, with its reason; a token request other callers share goes on. */
  signal?: AbortSignal;
}

/** Checks the arguments (TypeError naming what is wrong) and derives the cache key. */
export function userTokenRequest(
  installation: Installation,
  options: UserAccessTokenOptions,
  where = 'getUserAccessToken',
): TokenRequest {
  if (typeof installation?.sharedSecret !== 'string' || installation.sharedSecret === '') {
    throw new TypeError(`${where}: the installation has no sharedSecret`);
  }
  if (typeof installation.oauthClientId !== 'string' || installation.oauthClientId === '') {
    throw new TypeError(
      `${where}: the installation has no oauthClientId (the install payload carries it when the descriptor's scopes include ACT_AS_USER)`,
    );
  }
  if (typeof installation.baseUrl !== 'string' || !isHttpUrl(installation.baseUrl)) {
    throw new TypeError(`${where}: the installation's baseUrl is not an http(s) URL`);
  }
  const accountId = options?.accountId;
  if (typeof accountId !== 'string' || accountId === '') {
    throw new TypeError(`${where}: accountId must be the Atlassian accountId to act as`);
  }
  const scope = normaliseScopes(options.scopes, where);
  let server: string;
  if (options.authorizationServerUrl === undefined) {
    server = authorizationServerFor(installation.baseUrl);
  } else {
    if (typeof options.authorizationServerUrl !== 'string' || !isHttpUrl(options.authorizationServerUrl)) {
      throw new TypeError(`${where}: authorizationServerUrl must be an http(s) URL`);
    }
    server = trimTrailingSlashes(options.authorizationServerUrl);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new TypeError(`${where}: timeoutMs must be a positive integer`);
  }
  if (options.cache !== undefined) assertTokenStore(options.cache, where);
  return {
    // \n cannot occur in any part (a URL, a clientKey and an accountId never hold one), so keys cannot collide.
    key: `${server}\n${installation.clientKey}\n${accountId}\n${scope ?? ''}`,
    installation: installation as Installation & { oauthClientId: string },
    accountId,
    scope,
    server,
    timeoutMs,
    signal: options.signal,
  };
}

/** `READ write` and `['write', 'READ']` ask for the same thing: one cache entry, one form on the wire. */
function normaliseScopes(scopes: readonly string[] | undefined, where: string): string | undefined {
  if (scopes === undefined) return undefined;
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^[A-Za-z_]+$/.test(s))) {
    throw new TypeError(`${where}: scopes must be an array of scope names such as 'READ' or 'ACT_AS_USER'`);
  }
  if (scopes.length === 0) return undefined;
  return [...new Set(scopes.map((s) => s.toUpperCase()))].sort().join(' ');
}

function assertTokenStore(store: SecretStore, where: string): void {
  if (
    store === null ||
    typeof store !== 'object' ||
    typeof store.remember !== 'function' ||
    typeof store.recall !== 'function' ||
    typeof store.forget !== 'function'
  ) {
    throw new TypeError(`${where}: cache must be a store with remember, recall and forget`);
  }
}

/**
 * A Bearer token acting as `accountId` in this installation (Connect's OAuth 2.0 JWT-bearer
 * grant, scope `ACT_AS_USER` in the descriptor). Cached per (installation, account, scopes) until
 * shortly before it expires; concurrent callers share one request.
 */
export async function getUserAccessToken(
  installation: Installation,
  options: UserAccessTokenOptions,
): Promise<UserAccessToken> {
  const request = userTokenRequest(installation, options);
  const cache = tokenCacheFor(options.cache);
  return cache.local(request.key) ?? cache.get(request);
}
