import type { VerifyOptions } from '../request/types.js';
import { validateVerifyOptions } from '../request/verify.js';
import { getDefaultStore } from '../store/default.js';
import { rememberOnceIn } from '../store/remember.js';
import type { Installation, SecretStore } from '../store/types.js';
import { type RefusalPageRenderer, renderRefusalPage } from './refusal-page.js';

/** What `atlassianJwt(options)` takes in every adapter: core's VerifyOptions, with the store optional. */
export interface AdapterOptions extends Omit<VerifyOptions, 'store'> {
  /** Where shared secrets live; default: the process-wide store that `connectLifecycle()` writes into. */
  store?: SecretStore | undefined;
  /** Hand a failed check to the framework's error handling instead of answering it here. */
  passError?: boolean | undefined;
  /** The realm of the `WWW-Authenticate: JWT realm="…"` challenge on 401. */
  realm?: string | undefined;
  /**
   * What a person's browser gets when a page load is refused (`Accept` names `text/html`: an
   * iframe, a link): `true` (default) a small HTML page with the status, the code and what to do;
   * a function, your own page's HTML; `false`, the JSON body. API clients always get the JSON.
   */
  refusalPage?: boolean | RefusalPageRenderer | undefined;
}

/** Adapter options after defaults and validation, ready for every request. */
export interface ResolvedAdapterOptions {
  verify: VerifyOptions;
  passError: boolean;
  realm: string | undefined;
  refusalPage: RefusalPageRenderer | false;
}

const VERIFY_KEYS = ['baseUrl', 'qsh', 'clockTolerance', 'maxTokenAge', 'maxTokenLength', 'formParams'] as const;

/**
 * Validates adapter options once, in the factory (a TypeError naming the option), so that a
 * request can only ever fail with a ConnectJwtError.
 */
export function resolveAdapterOptions(options: AdapterOptions | undefined, caller: string): ResolvedAdapterOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${caller}: options must be an object`);
  }
  const given = options ?? {};
  if (given.passError !== undefined && typeof given.passError !== 'boolean') {
    throw new TypeError(`${caller}: options.passError must be a boolean`);
  }
  if (given.realm !== undefined && typeof given.realm !== 'string') {
    throw new TypeError(`${caller}: options.realm must be a string`);
  }
  const { refusalPage = true } = given;
  if (typeof refusalPage !== 'boolean' && typeof refusalPage !== 'function') {
    throw new TypeError(`${caller}: options.refusalPage must be a boolean or a function returning HTML`);
  }
  const verify: VerifyOptions = { store: given.store ?? defaultStoreView };
  for (const key of VERIFY_KEYS) {
    // Only the keys verifyRequest knows: a framework's own plugin options (e.g. Fastify's `prefix`) stay out.
    if (given[key] !== undefined) Object.assign(verify, { [key]: given[key] });
  }
  validateVerifyOptions(verify, caller);
  return {
    verify,
    passError: given.passError ?? false,
    realm: given.realm,
    refusalPage: refusalPage === true ? renderRefusalPage : refusalPage,
  };
}

/**
 * Reads through to whatever store is the default when a request arrives, so `setDefaultStore()`
 * called after `atlassianJwt()` (e.g. once a Redis connection is up) still takes effect.
 */
const defaultStoreView: SecretStore = {
  get: (clientKey: string): Promise<Installation | undefined> => getDefaultStore().get(clientKey),
  set: (installation: Installation): Promise<void> => getDefaultStore().set(installation),
  delete: (clientKey: string): Promise<void> => getDefaultStore().delete(clientKey),
  rememberOnce: (key: string, value: string, ttlMs: number): Promise<string> =>
    rememberOnceIn(getDefaultStore(), key, value, ttlMs),
};
