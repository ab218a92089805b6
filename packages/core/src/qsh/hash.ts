import { hash } from 'node:crypto';
import { type CanonicalRequestOptions, canonicalRequest } from './canonical.js';

/** The qsh of a context token (`AP.context.getToken()`): bound to no request. */
export const CONTEXT_QSH = 'context-qsh';

/** The qsh claim of a request: the hex SHA-256 of its canonical request. */
export function computeQsh(method: string, uri: string, options?: CanonicalRequestOptions): string {
  return sha256Hex(canonicalRequest(method, uri, options));
}

/** @internal */
export function sha256Hex(input: string): string {
  // The one-shot digest (Node >= 20.12) skips creating a Hash object per request.
  return hash('sha256', input, 'hex');
}
