import { InvalidInstallError } from '../errors.js';
import { hasClientKeyCharacters, MAX_CLIENT_KEY_LENGTH } from '../lib/client-key.js';
import { isHttpUrl } from '../lib/url.js';
import type { Installation } from '../store/types.js';

export type LifecycleEvent = 'installed' | 'uninstalled';

// Bounds per field: generous for real payloads, small enough that a signed but hostile body
// cannot fill the store.
const LIMITS: Record<string, number> = {
  key: 255,
  clientKey: MAX_CLIENT_KEY_LENGTH,
  sharedSecret: 512,
  publicKey: 4096,
  baseUrl: 2048,
  displayUrl: 2048,
  displayUrlServicedeskHelpCenter: 2048,
  productType: 64,
  description: 2048,
  serverVersion: 64,
  pluginsVersion: 64,
  serviceEntitlementNumber: 255,
  entitlementId: 255,
  entitlementNumber: 255,
  oauthClientId: 255,
  cloudId: 255,
  installationId: 512,
  eventType: 32,
};

// Only these are kept: the store holds what the add-on needs, not whatever a body carried.
const KEPT_FIELDS = Object.keys(LIMITS);

function invalid(message: string): InvalidInstallError {
  return new InvalidInstallError(message, { status: 400 });
}

/**
 * The installation described by a lifecycle body, or InvalidInstallError (400) saying which
 * field is wrong. Called only after the token is verified, so a forger learns nothing from it.
 */
export function readInstallPayload(body: unknown, event: LifecycleEvent): Installation {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('the lifecycle body is not a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const record: Record<string, string> = {};
  for (const name of KEPT_FIELDS) {
    const value = fields[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(`the lifecycle body field "${name}" is not a string`);
    if (value.length > (LIMITS[name] as number)) throw invalid(`the lifecycle body field "${name}" is too long`);
    record[name] = value;
  }
  const required = event === 'installed' ? ['clientKey', 'sharedSecret', 'baseUrl', 'productType'] : ['clientKey'];
  for (const name of [...required, 'eventType']) {
    if (record[name] === undefined || record[name] === '') {
      throw invalid(`the lifecycle body has no "${name}"`);
    }
  }
  if (record.eventType !== event) {
    throw invalid(`the lifecycle body eventType is ${JSON.stringify(record.eventType)}, expected "${event}"`);
  }
  if (!hasClientKeyCharacters(record.clientKey as string)) {
    throw invalid('the lifecycle body clientKey contains control characters');
  }
  for (const name of ['baseUrl', 'displayUrl'] as const) {
    const value = record[name];
    // The baseUrl is where signed calls to the product go: only a real http(s) URL is usable.
    if (value !== undefined && !isHttpUrl(value)) throw invalid(`the lifecycle body ${name} is not an http(s) URL`);
  }
  return record as Installation;
}
