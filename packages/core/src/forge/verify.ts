import { verify as verifySignature } from 'node:crypto';
import {
  ForgeContextError,
  InvalidAudienceError,
  InvalidIssuerError,
  InvalidSignatureError,
  MalformedTokenError,
} from '../errors.js';
import { DEFAULT_CLOCK_TOLERANCE, nowInSeconds, validateTimeClaims } from '../lib/claims.js';
import { parseCompactToken } from '../lib/compact-jws.js';
import { isHttpsOrLoopback } from '../lib/url.js';
import { licenseFromFit } from '../license/read.js';
import { storeFailure } from '../store/contract.js';
import { toAppAri } from '../store/installation-id.js';
import { extractBearerToken } from '../token/read.js';
import { FORGE_INVOCATION_ISSUER, FORGE_JWKS_URL, type ForgeAuth, type ForgeVerifyOptions } from '../types/forge.js';
import type { ConnectRequest } from '../types/request.js';
import type { Installation, SecretStore } from '../types/store.js';
import { ForgeInvocation } from './auth.js';
import { type ForgeKeySet, sharedForgeKeySet } from './key-set.js';

export const DEFAULT_FORGE_MAX_TOKEN_LENGTH = 16384;
const MAX_KID_LENGTH = 256;

/** Options after validation, with defaults filled in. */
export interface ResolvedForgeOptions {
  appIds: ReadonlySet<string>;
  keys: ForgeKeySet;
  environments: ReadonlySet<string> | undefined;
  clockTolerance: number;
  maxTokenLength: number;
  store: SecretStore | undefined;
}

const resolved = new WeakMap<object, ResolvedForgeOptions>();

/**
 * Checks Forge options once (a TypeError naming the option: a setup mistake, never a request-time
 * failure) and fills in defaults. Adapters call this in their factory.
 */
export function resolveForgeOptions(
  options: ForgeVerifyOptions,
  where = 'verifyForgeInvocation',
): ResolvedForgeOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: Forge options are required`);
  const known = resolved.get(options);
  if (known !== undefined) return known;

  if (options.appId === undefined) {
    throw new TypeError(
      `${where}: options.appId is missing: give the app id from manifest.yml (app.id), e.g. { appId: process.env.FORGE_APP_ID } with FORGE_APP_ID set`,
    );
  }
  const ids = typeof options.appId === 'string' ? [options.appId] : options.appId;
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== 'string' || id.trim() === '')) {
    throw new TypeError(
      `${where}: options.appId must be the app id (a uuid or ari:cloud:ecosystem::app/…) or a non-empty array of them`,
    );
  }
  const jwksUrl = options.jwksUrl ?? FORGE_JWKS_URL;
  if (typeof jwksUrl !== 'string' || !isAllowedJwksUrl(jwksUrl)) {
    throw new TypeError(`${where}: options.jwksUrl must be an https URL (http only for a loopback host)`);
  }
  const environments = options.environments;
  if (
    environments !== undefined &&
    (!Array.isArray(environments) || environments.some((type) => typeof type !== 'string'))
  ) {
    throw new TypeError(`${where}: options.environments must be an array of environment types`);
  }
  for (const name of ['clockTolerance', 'maxTokenLength'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new TypeError(`${where}: options.${name} must be a non-negative number`);
    }
  }
  const store = options.store as Partial<SecretStore> | undefined;
  if (store !== undefined && (store === null || typeof store.getByInstallationId !== 'function')) {
    throw new TypeError(`${where}: options.store must be a SecretStore that can look up by installationId`);
  }
  const settings: ResolvedForgeOptions = {
    appIds: new Set(ids.map(toAppAri)),
    keys: sharedForgeKeySet(jwksUrl),
    environments: environments === undefined ? undefined : new Set(environments),
    clockTolerance: options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
    maxTokenLength: options.maxTokenLength ?? DEFAULT_FORGE_MAX_TOKEN_LENGTH,
    store: options.store,
  };
  resolved.set(options, settings);
  return settings;
}

function isAllowedJwksUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return isHttpsOrLoopback(url);
}

/**
 * Authenticates a call from Forge (UI `invokeRemote`/`requestRemote`, functions, triggers): the
 * `Authorization: Bearer` Forge Invocation Token, RS256 under a key of Forge's JWKS, for this app.
 * Every failure is a ConnectJwtError; an unreachable JWKS with no known key is 503.
 */
export function verifyForgeInvocation(request: ConnectRequest, options: ForgeVerifyOptions): Promise<ForgeAuth> {
  let settings: ResolvedForgeOptions;
  try {
    settings = resolveForgeOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  // Not an async wrapper around the async check: one promise per request instead of two.
  return verifyWithResolved(request, settings);
}

export async function verifyWithResolved(request: ConnectRequest, settings: ResolvedForgeOptions): Promise<ForgeAuth> {
  const token = extractBearerToken(request, settings.maxTokenLength);
  // RS256 is pinned here, never read from the token: `none`, HS256 keyed with the public key and
  // other algorithms are refused before any key is looked up.
  const parsed = parseCompactToken(token, 'RS256');
  const kid = parsed.header.kid;
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) {
    throw new MalformedTokenError('the token header has no "kid" naming a Forge key');
  }
  // `jku`, `x5u` and `jwk` headers are never followed: keys come only from the configured JWKS.
  const key = settings.keys.peek(kid) ?? (await settings.keys.load(kid));
  if (!verifySignature('sha256', Buffer.from(parsed.signingInput), key, signatureBytes(parsed.signature))) {
    throw new InvalidSignatureError('the token signature does not match the Forge key it names');
  }

  const payload = parsed.payload;
  const { appId, app, installationId, apiBaseUrl, environment } = checkForgeClaims(payload, settings, nowInSeconds());

  const fields: Omit<ForgeAuth, 'kind'> = { appId, installationId, apiBaseUrl, environment, payload, token };
  const module = objectClaim(app, 'module');
  if (typeof module?.type === 'string' && typeof module.key === 'string') {
    fields.module = { type: module.type, key: module.key };
  }
  const context = objectClaim(payload, 'context');
  if (context !== undefined) {
    fields.context = context;
    if (typeof context.cloudId === 'string') fields.cloudId = context.cloudId;
    if (typeof context.siteUrl === 'string') fields.siteUrl = context.siteUrl;
  }
  if (typeof payload.principal === 'string' && payload.principal !== '') fields.accountId = payload.principal;
  const license = licenseFromFit(app);
  if (license !== undefined) fields.license = license;
  const systemToken = headerValue(request, 'x-forge-oauth-system');
  if (systemToken !== undefined) fields.systemToken = systemToken;
  const userToken = headerValue(request, 'x-forge-oauth-user');
  if (userToken !== undefined) fields.userToken = userToken;
  if (settings.store !== undefined) {
    const installation = await findInstallation(settings.store, installationId);
    if (installation !== undefined) fields.installation = installation;
  }
  return new ForgeInvocation(fields);
}

/** What the claim checks establish about a token whose signature is already verified. */
export interface CheckedForgeClaims {
  appId: string;
  app: Record<string, unknown> | undefined;
  installationId: string;
  apiBaseUrl: string;
  environment: { type: string; id: string };
}

/**
 * The claim checks of a Forge Invocation Token, in the contract's order (`iss`, `aud`, `app.id`,
 * time, `app.installationId` and `app.apiBaseUrl`, environment), throwing the first failure. Also
 * what the CLI's `explain` runs, so it names the same failure a server would.
 */
export function checkForgeClaims(
  payload: Record<string, unknown>,
  settings: Pick<ResolvedForgeOptions, 'appIds' | 'environments' | 'clockTolerance'>,
  now: number,
): CheckedForgeClaims {
  if (payload.iss !== FORGE_INVOCATION_ISSUER) {
    throw new InvalidIssuerError(`the token "iss" is not "${FORGE_INVOCATION_ISSUER}"`);
  }
  const appId = matchAudience(payload.aud, settings.appIds);
  const app = objectClaim(payload, 'app');
  if (app?.id !== undefined && (typeof app.id !== 'string' || toAppAri(app.id) !== appId)) {
    throw new ForgeContextError('the token "app.id" is not its "aud"');
  }
  if (payload.exp === undefined) throw new MalformedTokenError('the token has no "exp" claim');
  validateTimeClaims(payload, { clockTolerance: settings.clockTolerance, requireTimes: false, now });

  const installationId = app?.installationId;
  const apiBaseUrl = app?.apiBaseUrl;
  if (typeof installationId !== 'string' || installationId === '') {
    throw new MalformedTokenError('the token "app.installationId" is not a string');
  }
  if (typeof apiBaseUrl !== 'string' || apiBaseUrl === '') {
    throw new MalformedTokenError('the token "app.apiBaseUrl" is not a string');
  }
  const environment = environmentOf(app);
  if (settings.environments !== undefined && !settings.environments.has(environment.type)) {
    throw new ForgeContextError(`the app environment "${environment.type.slice(0, 32)}" is not allowed here`);
  }
  return { appId, app, installationId, apiBaseUrl, environment };
}

// An RS256 signature is the modulus size (256 bytes for 2048-bit keys, 512 for 4096): decoded into
// one reused buffer, synchronously consumed by verify, instead of a new allocation per request.
const signatureScratch = Buffer.allocUnsafe(512);

function signatureBytes(segment: string): Buffer {
  if ((segment.length * 3) >> 2 > signatureScratch.length) return Buffer.from(segment, 'base64url');
  return signatureScratch.subarray(0, signatureScratch.write(segment, 0, 'base64url'));
}

// Exact comparison of ARIs: the JWKS is shared by every Forge app, so a token for another app
// verifies just as well and only `aud` tells it is not ours.
function matchAudience(aud: unknown, appIds: ReadonlySet<string>): string {
  const claimed = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  for (const value of claimed) {
    if (typeof value !== 'string') continue;
    // Forge sends the ARI: a direct hit saves normalising it on every request.
    if (appIds.has(value)) return value;
    const ari = toAppAri(value);
    if (appIds.has(ari)) return ari;
  }
  throw new InvalidAudienceError(
    aud === undefined ? 'the token has no "aud" claim' : 'the token "aud" is not an app this server is configured for',
  );
}

function objectClaim(claims: Record<string, unknown> | undefined, name: string): Record<string, unknown> | undefined {
  const value = claims?.[name];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedTokenError(`the token "${name}" claim is not an object`);
  }
  return value as Record<string, unknown>;
}

function environmentOf(app: Record<string, unknown> | undefined): { type: string; id: string } {
  const environment = objectClaim(app, 'environment');
  const type = environment?.type ?? '';
  const id = environment?.id ?? '';
  if (typeof type !== 'string' || typeof id !== 'string') {
    throw new MalformedTokenError('the token "app.environment" type and id are not strings');
  }
  return { type, id };
}

function headerValue(request: ConnectRequest, name: string): string | undefined {
  const value = request.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

async function findInstallation(store: SecretStore, installationId: string): Promise<Installation | undefined> {
  try {
    return (await store.getByInstallationId?.(installationId)) ?? undefined;
  } catch (cause) {
    throw storeFailure(cause);
  }
}
