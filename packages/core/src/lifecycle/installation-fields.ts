import { InvalidInstallError } from '../errors.js';
import { hasClientKeyCharacters, MAX_CLIENT_KEY_LENGTH } from '../lib/client-key.js';
import { isHttpUrl } from '../lib/url.js';
import type { Installation } from '../types/store.js';

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

export interface ToInstallationOptions {
  /** Fields that must be present and non-empty; default clientKey, sharedSecret, baseUrl. */
  required?: readonly string[];
  /** How messages name the record, e.g. `the lifecycle body`; default `the record`. */
  what?: string;
}

/**
 * The installation a record describes, with only the fields an install keeps, or an
 * InvalidInstallError (400) saying which field is wrong. The one rule for what a stored
 * installation holds, whether it came from `/installed` or from another library's store.
 */
export function toInstallation(fields: unknown, options: ToInstallationOptions = {}): Installation {
  const what = options.what ?? 'the record';
  const invalid = (problem: string) => new InvalidInstallError(`${what} ${problem}`, { status: 400 });
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw invalid('is not a JSON object');
  const given = fields as Record<string, unknown>;
  const record: Record<string, string> = {};
  for (const name of KEPT_FIELDS) {
    const value = given[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(`field "${name}" is not a string`);
    if (value.length > (LIMITS[name] as number)) throw invalid(`field "${name}" is too long`);
    record[name] = value;
  }
  for (const name of options.required ?? ['clientKey', 'sharedSecret', 'baseUrl']) {
    if (record[name] === undefined || record[name] === '') throw invalid(`has no "${name}"`);
  }
  if (record.clientKey !== undefined && !hasClientKeyCharacters(record.clientKey)) {
    throw invalid('clientKey contains control characters');
  }
  for (const name of ['baseUrl', 'displayUrl'] as const) {
    const value = record[name];
    // The baseUrl is where signed calls to the product go: only a real http(s) URL is usable.
    if (value !== undefined && !isHttpUrl(value)) throw invalid(`${name} is not an http(s) URL`);
  }
  return record as Installation;
}
