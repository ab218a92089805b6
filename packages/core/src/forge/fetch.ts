import { resolveWithin } from '../lib/url.js';
import { type RetryOptions, retryPolicy, sendWithRetry } from '../outbound/retry.js';
import type { ForgeAuth } from '../types/forge.js';

export interface ForgeFetchInit extends RequestInit {
  /** `app` (default): the system token, the app acting on its own; `user`: the user token. */
  as?: 'app' | 'user';
  /** How a 429 (or 503 with Retry-After) is retried; `false`: never. Default: idempotent methods, 4 times. */
  retry?: RetryOptions | false;
}

/**
 * `fetch` to the product for a Forge invocation: `path` is relative to `auth.apiBaseUrl` (an
 * absolute URL must lie inside it), sent with the system (or user) token as Bearer. A URL
 * elsewhere is refused: it would hand the installation's token to another host.
 */
export async function forgeFetch(
  auth: Pick<ForgeAuth, 'apiBaseUrl' | 'systemToken' | 'userToken'>,
  path: string,
  init: ForgeFetchInit = {},
): Promise<Response> {
  const { as = 'app', retry, ...requestInit } = init;
  if (as !== 'app' && as !== 'user') throw new TypeError("forgeFetch: init.as must be 'app' or 'user'");
  const token = as === 'app' ? auth?.systemToken : auth?.userToken;
  if (typeof token !== 'string' || token === '') {
    throw new TypeError(
      as === 'app'
        ? 'forgeFetch: the invocation carries no system token (x-forge-oauth-system); the remote needs auth.appSystemToken.enabled: true in manifest.yml'
        : 'forgeFetch: the invocation carries no user token (x-forge-oauth-user); the remote needs auth.appUserToken.enabled: true in manifest.yml',
    );
  }
  const url = resolveWithin(String(auth.apiBaseUrl ?? ''), path, { where: 'forgeFetch', base: 'auth.apiBaseUrl' });
  const headers = new Headers(requestInit.headers);
  headers.set('authorization', `Bearer ${token}`);
  const method = (requestInit.method ?? 'GET').toUpperCase();
  const policy = retryPolicy(retry, 'forgeFetch');
  // A redirect would carry the token on to wherever it points.
  const send = () => fetch(url, { ...requestInit, method, headers, redirect: requestInit.redirect ?? 'error' });
  return sendWithRetry(send, policy, { method, url, body: requestInit.body, signal: requestInit.signal });
}
