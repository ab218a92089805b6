import type { ConnectRequest } from '../types/request.js';

const FORM_CONTENT_TYPE = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * A framework request reduced to core's ConnectRequest. `url` must be the raw request target
 * (never a re-built URL or a parsed query). The body is kept only when a body parser already
 * turned a form into an object: a JSON body's `jwt` field is not a token source.
 */
export function toConnectRequest(
  method: string,
  url: string,
  headers: ConnectRequest['headers'],
  parsedBody?: unknown,
): ConnectRequest {
  const request: ConnectRequest = { method, url, headers };
  if (parsedBody !== null && typeof parsedBody === 'object' && !Array.isArray(parsedBody)) {
    const contentType = headers['content-type'];
    if (typeof contentType === 'string' && FORM_CONTENT_TYPE.test(contentType)) request.body = parsedBody;
  }
  return request;
}
