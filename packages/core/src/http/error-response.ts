import { type ConnectJwtError, isConnectJwtError } from '../errors.js';

/** The JSON body of a refusal: safe to send, never holds a token or a secret. */
export interface ErrorBody {
  code: string;
  message: string;
}

/** What an adapter sends, for a failed check and for a lifecycle route alike; no `body` is an empty answer. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body?: ErrorBody | undefined;
}

const DEFAULT_REALM = 'atlassian-connect';
// What Node refuses in a header value (anything but tab, printable ASCII and Latin-1): setting it throws.
const HEADER_UNSAFE = /[^\t\x20-\x7e\x80-\xff]/;
// In a realm, quotes and backslashes too: they would end the quoted string.
const REALM_UNSAFE = new RegExp(`["\\\\]|${HEADER_UNSAFE.source}`, 'g');

/** Whether Node can send `value` as a header value. */
export function isHeaderSafe(value: string): boolean {
  return !HEADER_UNSAFE.test(value);
}

/**
 * What an adapter answers for a failed check: the error's status, a JSON `{ code, message }`
 * and, on 401, a `WWW-Authenticate` challenge (`JWT`, or `Bearer` on a Forge-only route). Anything that is not a ConnectJwtError is
 * an internal fault and is answered 500 without its message (it could hold anything).
 */
export function toErrorResponse(
  error: unknown,
  realm = DEFAULT_REALM,
  scheme: 'JWT' | 'Bearer' = 'JWT',
): HttpAnswer & { body: ErrorBody } {
  if (!isConnectJwtError(error)) {
    return {
      status: 500,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { code: 'ERR_INTERNAL', message: 'internal error while authenticating the request' },
    };
  }
  const typed = error as ConnectJwtError;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (typed.status === 401) headers['www-authenticate'] = `${scheme} realm="${realm.replace(REALM_UNSAFE, '')}"`;
  if (typed.status === 503) {
    const retryAfter = (typed as { retryAfter?: unknown }).retryAfter;
    headers['retry-after'] = typeof retryAfter === 'number' && retryAfter >= 1 ? String(Math.ceil(retryAfter)) : '1';
  }
  return { status: typed.status, headers, body: { code: typed.code, message: typed.message } };
}
