// A small HS256 path on node:crypto for the per-request hot path. jose's jwtVerify
// re-imports the key on every call, which alone costs more than the whole check here;
// test/lib/compact-jws.test.ts proves this path accepts and rejects what jose does.
import { timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError, MalformedTokenError, UnsupportedAlgorithmError } from '../errors.js';
import { Cache } from './cache.js';
import { hmacSha256 } from './hmac-sha256.js';

export interface ParsedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `header.payload`, the bytes the signature covers. */
  signingInput: string;
  /** The signature segment, checked to be strict base64url; decoded only when it is verified. */
  signature: string;
}

// Most tokens share one of a handful of header segments; parsing each once saves a JSON.parse per request.
const headerCache = new Cache<string, Record<string, unknown>>({ max: 16 });

/** True when `segment` may be strict base64url (RFC 7515: no padding, no `+` or `/`). */
function base64urlShapeOk(segment: string): boolean {
  return segment.length % 4 !== 1 && !segment.includes('+') && !segment.includes('/');
}

/**
 * Strict base64url without a regex pass over the segment: Node's decoder drops any other
 * character, and a dropped character always shortens the output below 3/4 of the input length
 * (lengths of the form 4k+1 are refused first, where it would not).
 */
function decodeBase64url(segment: string): Buffer | undefined {
  if (!base64urlShapeOk(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.length === (segment.length * 3) >> 2 ? bytes : undefined;
}

// Header and payload JSON are decoded through one reused buffer: Buffer.from() would take its
// bytes from Node's 8 KiB pool and allocate a new pool every few dozen tokens, a measurable share
// of a verification. Safe to share: decoding and JSON.parse run synchronously, with no await between.
let jsonScratch = Buffer.allocUnsafe(8192);
// A scratch buffer grows for longer tokens (maxTokenLength allows it) but never keeps a huge one alive.
const MAX_JSON_SCRATCH = 64 * 1024;

/** The UTF-8 text a strict base64url segment encodes, or undefined when it is not strict base64url. */
function decodeBase64urlText(segment: string): string | undefined {
  if (!base64urlShapeOk(segment)) return undefined;
  const expected = (segment.length * 3) >> 2;
  if (expected > jsonScratch.length) {
    if (expected > MAX_JSON_SCRATCH) {
      const bytes = decodeBase64url(segment);
      return bytes === undefined ? undefined : bytes.toString('utf8');
    }
    jsonScratch = Buffer.allocUnsafe(MAX_JSON_SCRATCH);
  }
  const written = jsonScratch.write(segment, 0, 'base64url');
  return written === expected ? jsonScratch.toString('utf8', 0, written) : undefined;
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  const text = segment === '' ? undefined : decodeBase64urlText(segment);
  if (text === undefined) throw new MalformedTokenError(`the token ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MalformedTokenError(`the token ${what} is not JSON`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedTokenError(`the token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseHeader(segment: string): Record<string, unknown> {
  const cached = headerCache.get(segment);
  if (cached !== undefined) return cached;
  const header = decodeSegment(segment, 'header');
  headerCache.set(segment, Object.freeze(header));
  return header;
}

/**
 * Splits a compact JWS and decodes header and payload without trusting either.
 * The algorithm is fixed by the caller (HS256 for host tokens): anything else in the
 * header is refused before a key is looked up, which stops `alg: none` and key confusion.
 */
export function parseCompactToken(token: string, algorithm = 'HS256'): ParsedToken {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw new MalformedTokenError('the token is not a compact JWS (three dot-separated parts)');
  }
  const header = parseHeader(token.slice(0, first));
  if (header.alg !== algorithm) {
    const alg = typeof header.alg === 'string' ? header.alg.slice(0, 16) : String(typeof header.alg);
    throw new UnsupportedAlgorithmError(
      `the token algorithm ${JSON.stringify(alg)} is not accepted; expected ${algorithm}`,
    );
  }
  if (header.crit !== undefined) {
    // RFC 7515: a critical extension we do not understand makes the token invalid.
    throw new MalformedTokenError('the token header has unsupported critical extensions');
  }
  const payload = decodeSegment(token.slice(first + 1, second), 'payload');
  const signatureSegment = token.slice(second + 1);
  if (!isStrictBase64url(signatureSegment)) throw new MalformedTokenError('the token signature is not base64url');
  if (!hasZeroPaddingBits(signatureSegment)) {
    // Otherwise up to 16 spellings of one signature would verify: a replay cache or log keyed on
    // the token string would see different tokens where there is one.
    throw new MalformedTokenError('the token signature is not canonical base64url');
  }
  return {
    header,
    payload,
    signingInput: token.slice(0, second),
    signature: signatureSegment,
  };
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** True when the bits of the last character beyond the encoded bytes are zero, as an encoder writes them. */
function hasZeroPaddingBits(segment: string): boolean {
  const tail = segment.length % 4;
  if (tail === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1));
  // Two characters carry one byte (4 spare bits), three carry two bytes (2 spare bits).
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0;
}

// An HS256 signature is 32 bytes; decoding into this buffer (synchronously, then compared at once)
// keeps a per-request allocation from Node's buffer pool off the hot path.
const signatureScratch = Buffer.allocUnsafe(32);
const HS256_SIGNATURE_CHARS = 43;

/** True when `segment` is strict base64url (decodes without dropping a character). */
function isStrictBase64url(segment: string): boolean {
  if (!base64urlShapeOk(segment)) return false;
  if (segment.length === HS256_SIGNATURE_CHARS) return signatureScratch.write(segment, 0, 'base64url') === 32;
  return decodeBase64url(segment) !== undefined;
}

/** Checks an HS256 signature in constant time; the shared secret is used as its UTF-8 bytes. */
export function verifyHs256(token: ParsedToken, secret: string): void {
  const expected = hmacSha256(secret, token.signingInput);
  // Any other length cannot be an HS256 signature; the same error as a wrong one, without decoding it.
  const matches =
    token.signature.length === HS256_SIGNATURE_CHARS &&
    signatureScratch.write(token.signature, 0, 'base64url') === expected.length &&
    timingSafeEqual(signatureScratch, expected);
  if (!matches) {
    throw new InvalidSignatureError('the token signature does not match the shared secret');
  }
}
