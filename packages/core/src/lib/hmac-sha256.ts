// HMAC-SHA256 (RFC 2104) from two one-shot SHA-256 calls over per-secret padded keys. createHmac
// prepares the key and builds a native object on every call, which costs more than the hashing;
// keeping each secret's padded key blocks does that work once per installation, not per request.
// test/lib/hmac-sha256.test.ts checks it against createHmac.
import { hash } from 'node:crypto';
import { Cache } from './cache.js';

const BLOCK = 64;
const DIGEST = 32;

interface PaddedKey {
  /** K ⊕ ipad, one block. */
  inner: Buffer;
  /** K ⊕ opad followed by room for the inner digest: the whole outer message. */
  outer: Buffer;
}

// One entry per installation that sent a token recently.
const paddedKeys = new Cache<string, PaddedKey>({ max: 512 });
let scratch = Buffer.allocUnsafe(BLOCK + 2048);
// The shared buffer grows to fit host tokens (8 KiB at most) but never keeps a huge one alive.
const MAX_SCRATCH = 64 * 1024;

function paddedKey(secret: string): PaddedKey {
  const cached = paddedKeys.get(secret);
  if (cached !== undefined) return cached;
  let key = Buffer.from(secret, 'utf8');
  if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + DIGEST, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i] = (inner[i] as number) ^ (key[i] as number);
    outer[i] = (outer[i] as number) ^ (key[i] as number);
  }
  const padded = { inner, outer };
  paddedKeys.set(secret, padded);
  return padded;
}

/** HMAC-SHA256 of the UTF-8 bytes of `message` under the UTF-8 bytes of `secret`. */
export function hmacSha256(secret: string, message: string): Buffer {
  const { inner, outer } = paddedKey(secret);
  const room = BLOCK + message.length * 3;
  if (scratch.length < room && room <= MAX_SCRATCH) scratch = Buffer.allocUnsafe(room);
  const buffer = scratch.length >= room ? scratch : Buffer.allocUnsafe(room);
  // Synchronous from here to the last hash, so the shared buffers cannot be used concurrently.
  inner.copy(buffer, 0);
  const length = BLOCK + buffer.write(message, BLOCK, 'utf8');
  hash('sha256', buffer.subarray(0, length), 'buffer').copy(outer, BLOCK);
  return hash('sha256', outer, 'buffer');
}
