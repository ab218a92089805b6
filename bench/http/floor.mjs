// The floor: only the work no JWT check can avoid (one HMAC-SHA256, one JSON.parse, one SHA-256
// of the canonical request), with no validation beyond it. Not safe to use: a yardstick.
import { createHash, createHmac } from 'node:crypto';

/**
 * The token's issuer when it is valid for `GET&<path>&`, else undefined.
 * @param {string} method
 * @param {string} path
 * @param {string | undefined} authorization
 * @param {Map<string, string>} secrets
 * @returns {string | undefined}
 */
export function floorCheck(method, path, authorization, secrets) {
  if (authorization === undefined || !authorization.startsWith('JWT ')) return undefined;
  const token = authorization.slice(4);
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  const payload = JSON.parse(Buffer.from(token.slice(first + 1, last), 'base64url').toString());
  const secret = secrets.get(payload.iss);
  if (secret === undefined) return undefined;
  const signature = createHmac('sha256', secret).update(token.slice(0, last)).digest('base64url');
  if (signature !== token.slice(last + 1)) return undefined;
  const qsh = createHash('sha256').update(`${method}&${path}&`).digest('hex');
  return qsh === payload.qsh ? payload.iss : undefined;
}
