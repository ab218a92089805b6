// How the fake product sends a signed request to an add-on, as the host does (header or query token).
import type { ProductRequestOptions } from './fake-product-types.js';

export interface RequestClientOptions {
  /** An add-on path (or absolute URL) as the absolute URL to call. */
  addonUrl(path: string): string;
  /** A host token for one request. */
  hostToken(request: { method: string; url: string }): Promise<string>;
}

/** Sends `request` to `path`: signed with a host token unless `request.token` says otherwise (`null`: none). */
export function createRequestClient(
  options: RequestClientOptions,
): (path: string, request: ProductRequestOptions) => Promise<Response> {
  const { addonUrl, hostToken } = options;
  return async function send(path: string, request: ProductRequestOptions): Promise<Response> {
    const method = (request.method ?? 'GET').toUpperCase();
    let url = addonUrl(path);
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      if (typeof request.body !== 'string') headers['content-type'] ??= 'application/json';
    }
    const token = request.token === undefined ? await hostToken({ method, url }) : request.token;
    if (token !== null) {
      if (request.tokenIn === 'query') url += `${url.includes('?') ? '&' : '?'}jwt=${encodeURIComponent(token)}`;
      else headers.authorization = `JWT ${token}`;
    }
    return fetch(url, { method, headers, ...(body !== undefined && { body }), redirect: 'manual' });
  };
}
