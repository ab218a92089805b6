import { resolveWithin } from '../lib/resolve-within.js';
import type { Installation } from '../store/types.js';
import { createJwt } from '../token/create.js';

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

/**
 * `fetch` with a signed `Authorization` header: `productFetch(installation, { appKey }, '/rest/api/3/myself')`.
 */
export async function productFetch(
  installation: Installation,
  options: { appKey: string; expiresIn?: number; subject?: string },
  url: string,
  init: RequestInit = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  // Signed and sent as one serialisation, so the qsh covers exactly what fetch puts on the wire
  // (dot segments resolved, `\` as `/`, spaces and non-ASCII escaped).
  const absoluteUrl = new URL(resolveProductUrl(installation, url)).href;
  const headers = new Headers(init.headers);
  headers.set('authorization', await signRequest(installation, { ...options, method, url: absoluteUrl }));
  return fetch(absoluteUrl, { ...init, method, headers });
}
