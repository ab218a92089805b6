import { toErrorResponse } from './error-response.js';
import { type RefusalPageRenderer, renderRefusalPage } from './refusal-page.js';

/** A refusal ready to send: `body` is the JSON text or the HTML page. */
export interface RefusalAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RefusalOptions {
  /** The realm of the 401 `WWW-Authenticate: JWT` challenge. */
  realm?: string | undefined;
  /** The page for a person's browser, or `false` for JSON to everyone. */
  refusalPage: RefusalPageRenderer | false;
  /** The 401 challenge's scheme: `JWT` (Connect, the default) or `Bearer` (a Forge-only route). */
  challenge?: 'JWT' | 'Bearer' | undefined;
}

// Longer Accept headers are not worth parsing: a real browser's is a few hundred characters.
const MAX_ACCEPT_LENGTH = 2048;
const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/**
 * Whether the client asked for a page rather than data: a browser loading an iframe or following
 * a link names `text/html`; `fetch()`, curl and API clients send a wildcard or `application/json`,
 * which keep the JSON body. HTML must be named explicitly and weigh at least as much as JSON.
 */
export function wantsPage(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : accept;
  if (typeof value !== 'string' || value.length > MAX_ACCEPT_LENGTH) return false;
  let page = 0;
  let json = 0;
  for (const range of value.split(',')) {
    const [type = '', ...parameters] = range.split(';');
    let weight = 1;
    for (const parameter of parameters) {
      const [name, quality] = parameter.split('=');
      if (name?.trim().toLowerCase() === 'q') weight = Number(quality?.trim()) || 0;
    }
    const mediaType = type.trim().toLowerCase();
    if (PAGE_TYPES.has(mediaType)) page = Math.max(page, weight);
    else if (mediaType === 'application/json') json = Math.max(json, weight);
  }
  return page > 0 && page >= json;
}

// The default page holds no script and loads nothing, so it can say so to the browser.
const DEFAULT_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * What an adapter answers for a failed check, negotiated on the request's `Accept`: a person's
 * browser loading the page (an iframe, a link) gets a small HTML page, an API client the JSON
 * `{ code, message }` of `toErrorResponse`, with the same status and challenge either way.
 */
export function toRefusalAnswer(
  error: unknown,
  accept: string | string[] | undefined,
  options: RefusalOptions,
): RefusalAnswer {
  const answer = toErrorResponse(error, options.realm, options.challenge);
  if (options.refusalPage === false) {
    return { status: answer.status, headers: answer.headers, body: JSON.stringify(answer.body) };
  }
  // The body depends on Accept, so a cache must not hand one client's answer to another.
  const headers = { ...answer.headers, vary: 'Accept' };
  if (!wantsPage(accept)) return { status: answer.status, headers, body: JSON.stringify(answer.body) };
  return {
    status: answer.status,
    headers: {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      ...(options.refusalPage === renderRefusalPage && { 'content-security-policy': DEFAULT_PAGE_POLICY }),
    },
    body: options.refusalPage({ status: answer.status, ...answer.body }),
  };
}
