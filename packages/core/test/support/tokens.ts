// Hand-made tokens for hostile-input tests: any header, any payload (even ill-typed), signed with
// HMAC over the exact bytes given, so a test controls every byte the verifier sees.
import { createHmac } from 'node:crypto';

export const CLIENT_KEY = 'test-client-key';
export const SHARED_SECRET = 'test-shared-secret-with-enough-entropy-0123456789';

export function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `header.payload.signature`, with JSON objects serialised as given and strings used verbatim. */
export function signToken(
  header: unknown,
  payload: unknown,
  secret = SHARED_SECRET,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const encode = (part: unknown) => base64url(typeof part === 'string' ? part : JSON.stringify(part));
  const signingInput = `${encode(header)}.${encode(payload)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

export const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };
