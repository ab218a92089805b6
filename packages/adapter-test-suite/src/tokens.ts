// The one builder of hand-made tokens for tests (core's, the adapters' tables, the cross-package
// suites): any header, any payload (even ill-typed, even not JSON), signed with HMAC over the exact
// bytes given or not at all, so a test controls every byte the verifier sees. Well-formed tokens
// come from createJwt or the testing kit's minters, not from here.
import { createHmac } from 'node:crypto';

export const CLIENT_KEY = 'test-client-key';
export const SHARED_SECRET = 'test-shared-secret-with-enough-entropy-0123456789';

export function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A header or payload segment: objects serialised as JSON, strings and bytes used verbatim. */
function segment(part: unknown): string {
  return base64url(typeof part === 'string' || Buffer.isBuffer(part) ? part : JSON.stringify(part));
}

/** `header.payload.signature`, the signature an HMAC of `secret` over the first two segments. */
export function signToken(
  header: unknown,
  payload: unknown,
  secret = SHARED_SECRET,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

/** `header.payload.signature` with the signature given verbatim (none by default: an `alg: none` token). */
export function unsignedToken(header: unknown, payload: unknown, signature = ''): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

export const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };
