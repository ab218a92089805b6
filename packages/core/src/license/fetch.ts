import { LicenseUnavailableError } from '../errors.js';
import { productFetch } from '../outbound/sign.js';
import { recallIn, rememberIn } from '../store/remember.js';
import type { License } from '../types/license.js';
import type { Installation, SecretStore } from '../types/store.js';

export interface FetchLicenseOptions {
  /** The add-on's key: the token's `iss`, and the `{appKey}` of the REST path. */
  appKey: string;
  /**
   * Where the answer is kept for `ttlMs`, shared with every instance on the same store (its
   * `remember`/`recall`); without one, a memory of this process.
   */
  store?: SecretStore | undefined;
  /** How long an answer is reused, in ms; default 10 minutes. A licence bought now shows within it. */
  ttlMs?: number | undefined;
}

const DEFAULT_TTL_MS = 10 * 60 * 1000;
// Stands in for "no licence" in the store, which keeps strings only.
const NONE = 'null';
const processCache: SecretStore = { get: async () => undefined, set: async () => {}, delete: async () => {} };

/**
 * The app's licence on the installation's site, from the product's REST API
 * (`GET /rest/atlassian-connect/1/addons/{appKey}`), for routes that carry no `lic` (a webhook,
 * a context call). `undefined` when the app has no licence (a free app); cached for `ttlMs`.
 * A product that does not answer is LicenseUnavailableError (503), never a guess.
 */
export async function fetchLicense(
  installation: Installation,
  options: FetchLicenseOptions,
): Promise<License | undefined> {
  if (options === null || typeof options !== 'object' || typeof options.appKey !== 'string' || options.appKey === '') {
    throw new TypeError('fetchLicense: options.appKey must be the add-on key');
  }
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new TypeError('fetchLicense: options.ttlMs must be a positive number');
  }
  const cache = options.store ?? processCache;
  const key = `license:${installation.clientKey}`;
  // The cache only saves a call: a store that fails is asked no further, the product is.
  const cached = await recallIn(cache, key).catch(() => undefined);
  if (cached === NONE) return undefined;
  if (cached !== undefined) {
    try {
      return readRestLicense({ license: JSON.parse(cached) });
    } catch {
      // Not ours to trust as it is: asked again below.
    }
  }

  const path = `/rest/atlassian-connect/1/addons/${encodeURIComponent(options.appKey)}`;
  let body: unknown;
  try {
    const response = await productFetch(installation, { appKey: options.appKey }, path);
    if (!response.ok) throw new Error(`the product answered ${response.status}`);
    body = await response.json();
  } catch (cause) {
    throw new LicenseUnavailableError('the product did not say what the app licence is', { cause });
  }
  const license = readRestLicense(body);
  const kept =
    license === undefined
      ? NONE
      : JSON.stringify({ active: license.active, evaluation: license.evaluation, type: license.type });
  await rememberIn(cache, key, kept, ttlMs).catch(() => undefined);
  return license;
}

function readRestLicense(body: unknown): License | undefined {
  const claim = (body as { license?: unknown } | null)?.license;
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return undefined;
  const { active, evaluation, type } = claim as Record<string, unknown>;
  const license: License = { active: typeof active === 'boolean' ? active : undefined, source: 'rest' };
  if (typeof evaluation === 'boolean') license.evaluation = evaluation;
  if (typeof type === 'string') license.type = type.slice(0, 64);
  return license;
}
