import { resolveWithin } from '../lib/url.js';
import { createJwt } from '../token/create.js';
import type { Installation, SecretStore } from '../types/store.js';
import { isReplayableBody, type RetryOptions, type RetryPolicy, retryPolicy, sendWithRetry } from './retry.js';
import { userTokenRequest } from './user-token.js';
import { tokenCacheFor } from './user-token-cache.js';
import type { UserAccessToken } from './user-token-grant.js';

export interface SignRequestOptions {
  /** The add-on key (descriptor `key`): the `iss` of calls the add-on makes. */
  appKey: string;
  /** HTTP method; default `GET`. */
  method?: string;
  /** Relative to the installation's baseUrl (`/rest/api/3/myself`), or absolute inside it. */
  url: string;
  /** Token lifetime in seconds; default 180. */
  expiresIn?: number;
  /** `sub` claim, when acting for a user. */
  subject?: string;
}

/**
 * The absolute URL of a call to the product and the path the host hashes. The host hashes the
 * path below its own base (Confluence's `/wiki`), so the qsh is computed relative to it; an
 * absolute URL on another host would leak a token signed with this installation's secret.
 */
export function resolveProductUrl(installation: Pick<Installation, 'baseUrl'>, url: string): string {
  return resolveWithin(String(installation.baseUrl ?? ''), url, {
    where: 'signRequest',
    base: "the installation's baseUrl",
  });
}

/** Signs a call from the add-on to the product: returns its `Authorization` header value, `JWT <token>`. */
export async function signRequest(installation: Installation, options: SignRequestOptions): Promise<string> {
  if (!options || typeof options.appKey !== 'string' || options.appKey === '') {
    throw new TypeError('signRequest: options.appKey must be the add-on key');
  }
  if (typeof installation?.sharedSecret !== 'string' || installation.sharedSecret === '') {
    throw new TypeError('signRequest: the installation has no sharedSecret');
  }
  const url = resolveProductUrl(installation, options.url);
  const token = await createJwt(options.appKey, installation.sharedSecret, {
    method: options.method ?? 'GET',
    uri: url,
    baseUrl: installation.baseUrl,
    ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn }),
    ...(options.subject !== undefined && { subject: options.subject }),
  });
  return `JWT ${token}`;
}

export interface ProductFetchOptions {
  /** The add-on key (descriptor `key`): the `iss` of the JWT. */
  appKey: string;
  /** JWT lifetime in seconds; default 180. */
  expiresIn?: number;
  /** `sub` claim of the JWT. */
  subject?: string;
  /**
   * Act as this user: the call carries an OAuth 2.0 Bearer token for the account instead of the
   * add-on's JWT (the descriptor needs the `ACT_AS_USER` scope).
   */
  as?: { accountId: string; scopes?: readonly string[] };
  /** With `as`: the authorization server; default Atlassian's for the site. */
  authorizationServerUrl?: string;
  /** With `as`: a store (remember/recall/forget) that shares user tokens across a fleet. */
  cache?: SecretStore;
  /** How a 429 (or 503 with Retry-After) is retried; `false`: never. Default: idempotent methods, 4 times. */
  retry?: RetryOptions | false;
}

/**
 * `fetch` to the product as the add-on (a signed JWT) or, with `as`, as a user (a Bearer token):
 * `productFetch(installation, { appKey }, '/rest/api/3/myself')`. Each attempt is signed anew, so
 * a retry after a rate limit carries a token of its own.
 */
export async function productFetch(
  installation: Installation,
  options: ProductFetchOptions,
  url: string,
  init: RequestInit = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  // Signed and sent as one serialisation, so the qsh covers exactly what fetch puts on the wire
  // (dot segments resolved, `\` as `/`, spaces and non-ASCII escaped).
  const absoluteUrl = new URL(resolveProductUrl(installation, url)).href;
  const policy = retryPolicy(options?.retry, 'productFetch');
  const request = { method, url: absoluteUrl, body: init.body, signal: init.signal };
  if (options?.as === undefined) {
    const signOptions = { ...options, method, url: absoluteUrl };
    // Checked before the first call goes out: a bad option is a TypeError, never a half-sent request.
    if (typeof signOptions.appKey !== 'string' || signOptions.appKey === '') {
      throw new TypeError('productFetch: options.appKey must be the add-on key');
    }
    return sendWithRetry(
      async () => {
        const headers = new Headers(init.headers);
        headers.set('authorization', await signRequest(installation, signOptions));
        return fetch(absoluteUrl, { ...init, method, headers });
      },
      policy,
      request,
    );
  }
  return sendAsUser(installation, options, init, request, policy);
}

async function sendAsUser(
  installation: Installation,
  options: ProductFetchOptions,
  init: RequestInit,
  request: { method: string; url: string; body: RequestInit['body']; signal: AbortSignal | null | undefined },
  policy: RetryPolicy | undefined,
): Promise<Response> {
  const as = options.as;
  if (as === null || typeof as !== 'object')
    throw new TypeError('productFetch: options.as must be { accountId, scopes? }');
  const tokenRequest = userTokenRequest(
    installation,
    {
      accountId: as.accountId,
      ...(as.scopes !== undefined && { scopes: as.scopes }),
      ...(options.authorizationServerUrl !== undefined && { authorizationServerUrl: options.authorizationServerUrl }),
      ...(options.cache !== undefined && { cache: options.cache }),
      ...(init.signal != null && { signal: init.signal }),
    },
    'productFetch',
  );
  const cache = tokenCacheFor(options.cache);
  const replayable = isReplayableBody(init.body);
  const send = async (token: UserAccessToken) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token.accessToken}`);
    // A redirect would carry the user's token on to wherever it points.
    return fetch(request.url, { ...init, method: request.method, headers, redirect: init.redirect ?? 'error' });
  };
  return sendWithRetry(
    async () => {
      // Read on every attempt: a wait for a rate limit may outlast the token, then a new one is asked for.
      const token = cache.local(tokenRequest.key) ?? (await cache.get(tokenRequest));
      const response = await send(token);
      if (response.status !== 401 || !replayable) return response;
      // The product no longer takes a token we held (revoked, or expired early): one new one, once.
      await response.body?.cancel().catch(() => {});
      await cache.drop(tokenRequest.key, token);
      return send(cache.local(tokenRequest.key) ?? (await cache.get(tokenRequest)));
    },
    policy,
    request,
  );
}
