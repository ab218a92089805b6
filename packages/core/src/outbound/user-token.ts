import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { UserTokenError, UserTokenUnavailableError } from '../errors.js';
import { Cache } from '../lib/cache.js';
import { readBoundedText } from '../lib/read-bounded.js';
import { isHttpUrl, trimTrailingSlashes } from '../lib/url.js';
import type { Installation, SecretStore } from '../store/types.js';
import { encode } from '../token/create.js';

// Connect's user impersonation: the OAuth 2.0 JWT-bearer grant. The add-on signs an assertion
// with the installation's shared secret, the authorization server trades it for a short-lived
// Bearer token that acts as that user in that site.

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
  /** Aborts the token request. */
  signal?: AbortSignal;
}

/** A Bearer token acting as a user. Shown as `[redacted]` by `util.inspect` and `JSON.stringify`. */
export class UserAccessToken {
  readonly #accessToken: string;
  /** Epoch milliseconds after which it is no longer handed out (its expiry less a safety margin). */
  readonly expiresAt: number;

  constructor(accessToken: string, expiresAt: number) {
    this.#accessToken = accessToken;
    this.expiresAt = expiresAt;
  }

  /** The token for `Authorization: Bearer …`. */
  get accessToken(): string {
    return this.#accessToken;
  }

  toJSON(): { accessToken: string; expiresAt: number } {
    return { accessToken: '[redacted]', expiresAt: this.expiresAt };
  }

  [inspect.custom](): string {
    return `UserAccessToken { accessToken: [redacted], expiresAt: ${new Date(this.expiresAt).toISOString()} }`;
  }
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Atlassian checks `exp - iat` ≤ 60 s ("Expiration timestamp too far in the future"). */
const ASSERTION_LIFETIME_SECONDS = 60;
const DEFAULT_TIMEOUT_MS = 10_000;
/** A token is dropped this long before it expires, so a call made with it does not fail on the way. */
const EXPIRY_MARGIN_MS = 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_LOCAL_ENTRIES = 10_000;
const STORE_KEY_PREFIX = 'connect-jwt:user-token:';

/** Atlassian's authorization server for a site, by the site's host (ACE and Atlassian's own clients agree). */
export function authorizationServerFor(baseUrl: string): string {
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : '';
  if (host.endsWith('.jira-dev.com')) return 'https://oauth-2-authorization-server.stg.services.atlassian.com';
  if (host.endsWith('.atlassian-us-gov-mod.net')) {
    return 'https://oauth-2-authorization-server.services.atlassian-us-gov-mod.com';
  }
  if (host.endsWith('.atlassian-stg-fedm.net')) {
    return 'https://oauth-2-authorization-server.stg.services.atlassian-us-gov-mod.com';
  }
  return 'https://oauth-2-authorization-server.services.atlassian.com';
}

/** Everything a token request needs, checked before anything is sent. */
interface TokenRequest {
  key: string;
  installation: Installation & { oauthClientId: string };
  accountId: string;
  scope: string | undefined;
  server: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
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

/** Tokens per process, and per store in front of it: a hit costs a Map lookup, no store round trip. */
class TokenCache {
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
    return pending;
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

/** The token request itself: the signed assertion POSTed to `<server>/oauth2/token`. */
async function requestUserToken(request: TokenRequest): Promise<UserAccessToken> {
  const { installation, server } = request;
  const iat = Math.floor(Date.now() / 1000);
  const assertion = await encode(
    {
      iss: `urn:atlassian:connect:clientid:${installation.oauthClientId}`,
      sub: `urn:atlassian:connect:useraccountid:${request.accountId}`,
      // As installed: Confluence's baseUrl keeps its /wiki, the server checks it verbatim.
      tnt: installation.baseUrl,
      aud: server,
      iat,
      exp: iat + ASSERTION_LIFETIME_SECONDS,
    },
    installation.sharedSecret,
  );
  const body = new URLSearchParams({ grant_type: GRANT_TYPE, assertion });
  if (request.scope !== undefined) body.set('scope', request.scope);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${server}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      redirect: 'error',
      signal,
    });
    text = await readBoundedText(response, MAX_ANSWER_BYTES, () => new Error('answer too large'));
  } catch (cause) {
    if (request.signal?.aborted) throw request.signal.reason;
    // The cause is fetch's own error: it names the URL and the failure, never the request body.
    throw new UserTokenUnavailableError(
      timeout.aborted
        ? `the authorization server ${server} did not answer within ${request.timeoutMs} ms`
        : `the authorization server ${server} could not be reached`,
      { cause },
    );
  }
  const answer = parseJsonObject(text);
  if (response.status === 429 || response.status >= 500) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new UserTokenUnavailableError(`the authorization server ${server} answered ${response.status}`, {
      authServerStatus: response.status,
      ...(Number.isInteger(retryAfter) && retryAfter > 0 && { retryAfter }),
    });
  }
  if (!response.ok) {
    const error = oauthText(answer?.error, assertion);
    const errorDescription = oauthText(answer?.error_description, assertion);
    throw new UserTokenError(
      `the authorization server refused a token for this user (${response.status}${error ? ` ${error}` : ''}${errorDescription ? `: ${errorDescription}` : ''})`,
      {
        authServerStatus: response.status,
        ...(error !== undefined && { error }),
        ...(errorDescription !== undefined && { errorDescription }),
      },
    );
  }
  const accessToken = answer?.access_token;
  const expiresIn = answer?.expires_in;
  const tokenType = answer?.token_type;
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof expiresIn !== 'number' ||
    !(expiresIn > 0) ||
    typeof tokenType !== 'string' ||
    tokenType.toLowerCase() !== 'bearer'
  ) {
    throw new UserTokenError('the authorization server answered without a usable Bearer token', {
      authServerStatus: response.status,
    });
  }
  // A short-lived token keeps at least half its life: the margin never eats all of it.
  const margin = Math.min(EXPIRY_MARGIN_MS, (expiresIn * 1000) / 2);
  return new UserAccessToken(accessToken, Date.now() + expiresIn * 1000 - margin);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An OAuth error field fit for a message: a short printable string, never the assertion echoed back. */
function oauthText(value: unknown, assertion: string): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const printable = value.replaceAll(assertion, '[assertion]').replace(/[\u0000-\u001f\u007f]/g, ' ');
  return printable.length > 300 ? `${printable.slice(0, 300)}…` : printable;
}
