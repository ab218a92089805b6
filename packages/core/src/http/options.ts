import { resolveForgeOptions, verifyWithResolved } from '../forge/verify.js';
import { validateVerifyOptions, verifyRequest } from '../request/verify.js';
import { getDefaultStore } from '../store/default.js';
import { rememberOnceIn } from '../store/remember.js';
import { hasBearerToken } from '../token/read.js';
import type { ForgeAuth, ForgeVerifyOptions } from '../types/forge.js';
import type { ConnectAuth, ConnectRequest, VerifyOptions } from '../types/request.js';
import type { Installation, SecretStore } from '../types/store.js';
import { isHeaderSafe } from './error-response.js';
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
  /**
   * Accept Forge Invocation Tokens (`Authorization: Bearer`) too: the app's Forge settings. Without
   * it a route accepts Connect JWTs only, exactly as before. The adapter's `store` is passed on, so
   * a Forge call finds the Connect installation of its site.
   */
  forge?: ForgeVerifyOptions | undefined;
  /** Which tokens the route takes: default `connect` without `forge`, `both` with it (told apart by the auth scheme). */
  accept?: AcceptedTokens | undefined;
}

export type AcceptedTokens = 'connect' | 'forge' | 'both';

/**
 * The verified request a route with these options is given, for the adapters' route-level types:
 * `accept` decides, else `forge` means both kinds, else `Otherwise` (ConnectAuth where options do
 * not inherit; Fastify's route options inherit the plugin's, so it passes the declared kinds).
 * Options whose type leaves `accept` or `forge` open (a variable typed AdapterOptions) get both kinds.
 */
export type AuthFor<Options, Otherwise = ConnectAuth> = Options extends { accept: 'forge' }
  ? ForgeAuth
  : Options extends { accept: 'connect' }
    ? ConnectAuth
    : Options extends { accept: 'both' } | { forge: object }
      ? ConnectAuth | ForgeAuth
      : // The index signature keeps this from being a weak type, which options naming neither would not match.
        Options extends { accept?: undefined; forge?: undefined; [option: string]: unknown }
        ? Otherwise
        : ConnectAuth | ForgeAuth;

/** What `forgeRemote(options)` takes in every adapter: the Forge settings, and how refusals are handed on. */
export interface ForgeRemoteOptions extends ForgeVerifyOptions {
  passError?: boolean | undefined;
  realm?: string | undefined;
}

/** `forgeRemote(options)` is `atlassianJwt()` taking Forge Invocation Tokens only. */
export function forgeRemoteOptions(options: ForgeRemoteOptions): AdapterOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('forgeRemote: options are required');
  const { passError, realm, ...forge } = options;
  return { forge, accept: 'forge', passError, realm, store: forge.store };
}

/** Adapter options after defaults and validation, ready for every request. */
export interface ResolvedAdapterOptions {
  verify: VerifyOptions;
  passError: boolean;
  realm: string | undefined;
  refusalPage: RefusalPageRenderer | false;
  /** The 401 challenge: `Bearer` on a Forge-only route, `JWT` otherwise. */
  challenge: 'JWT' | 'Bearer';
  /** Verifies a request as the route accepts it: what every adapter calls. */
  authenticate(request: ConnectRequest): Promise<ConnectAuth | ForgeAuth>;
}

const VERIFY_KEYS = [
  'baseUrl',
  'qsh',
  'clockTolerance',
  'maxTokenAge',
  'maxTokenLength',
  'formParams',
  'aceSessionTokens',
] as const;

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
  if (given.realm !== undefined && (typeof given.realm !== 'string' || !isHeaderSafe(given.realm))) {
    // Caught here: Node refuses such a header value, which would throw at the first 401.
    throw new TypeError(`${caller}: options.realm must be a string without line breaks or control characters`);
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
  const accept = given.accept ?? (given.forge === undefined ? 'connect' : 'both');
  if (accept !== 'connect' && accept !== 'forge' && accept !== 'both') {
    throw new TypeError(`${caller}: options.accept must be 'connect', 'forge' or 'both'`);
  }
  if (accept !== 'connect' && given.forge === undefined) {
    throw new TypeError(`${caller}: options.forge (at least { appId }) is required to accept Forge tokens`);
  }
  return {
    verify,
    passError: given.passError ?? false,
    realm: given.realm,
    // Forge treats any non-2xx as an error and wants JSON: a Forge-only route never answers a page.
    refusalPage:
      accept === 'forge' || refusalPage === false ? false : refusalPage === true ? renderRefusalPage : refusalPage,
    challenge: accept === 'forge' ? 'Bearer' : 'JWT',
    authenticate: authenticatorFor(accept, verify, given.forge, caller),
  };
}

function authenticatorFor(
  accept: AcceptedTokens,
  verify: VerifyOptions,
  forgeOptions: ForgeVerifyOptions | undefined,
  caller: string,
): (request: ConnectRequest) => Promise<ConnectAuth | ForgeAuth> {
  const connect = (request: ConnectRequest) => verifyRequest(request, verify);
  if (accept === 'connect' || forgeOptions === undefined) return connect;
  if (forgeOptions === null || typeof forgeOptions !== 'object') {
    throw new TypeError(`${caller}: options.forge must be an object with the app's appId`);
  }
  // The route's store finds the Connect installation of a Forge call's site, when it can look one up.
  const store =
    forgeOptions.store ?? (typeof verify.store.getByInstallationId === 'function' ? verify.store : undefined);
  const forge = resolveForgeOptions({ ...forgeOptions, store }, `${caller} (options.forge)`);
  const forgeOnly = (request: ConnectRequest) => verifyWithResolved(request, forge);
  if (accept === 'forge') return forgeOnly;
  // The scheme decides: `Bearer` is Forge's, `JWT` and `?jwt=` are Connect's.
  return (request) => (hasBearerToken(request) ? forgeOnly(request) : connect(request));
}

/**
 * Reads through to whatever store is the default when a request arrives, so `setDefaultStore()`
 * called after `atlassianJwt()` (e.g. once a Redis connection is up) still takes effect.
 */
export const defaultStoreView: SecretStore = {
  get: (clientKey: string): Promise<Installation | undefined> => getDefaultStore().get(clientKey),
  set: (installation: Installation): Promise<void> => getDefaultStore().set(installation),
  delete: (clientKey: string): Promise<void> => getDefaultStore().delete(clientKey),
  rememberOnce: (key: string, value: string, ttlMs: number): Promise<string> =>
    rememberOnceIn(getDefaultStore(), key, value, ttlMs),
  getByInstallationId: async (installationId: string): Promise<Installation | undefined> =>
    getDefaultStore().getByInstallationId?.(installationId),
};
