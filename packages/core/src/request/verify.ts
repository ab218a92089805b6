import type { JWTPayload } from 'jose';
import { InvalidIssuerError, InvalidSignatureError, MalformedTokenError, QshMismatchError } from '../errors.js';
import { DEFAULT_CLOCK_TOLERANCE, nowInSeconds, readIssuer, validateTimeClaims } from '../lib/claims.js';
import { type ParsedToken, parseCompactToken, verifyHs256 } from '../lib/compact-jws.js';
import { licenseFromQuery } from '../license/read.js';
import {
  buildCanonicalRequest,
  type CanonicalDialect,
  type CanonicalRequestOptions,
  type FormBody,
} from '../qsh/canonical.js';
import { CONTEXT_QSH, sha256Hex } from '../qsh/hash.js';
import { isSecretStore, storeFailure } from '../store/contract.js';
import { extractToken } from '../token/read.js';
import type { ConnectAuth, ConnectRequest, QshMode, VerifyOptions } from '../types/request.js';
import type { Installation, SecretStore } from '../types/store.js';
import { checkSessionInstallation, checkSessionQsh, resolveAceSessionKey, sessionClientKey } from './ace-session.js';

export const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const QSH_MODES: ReadonlySet<string> = new Set(['strict', 'context', 'any', 'skip']);
const FORM_POLICIES: ReadonlySet<string> = new Set(['none', 'fallback', 'merge']);

/**
 * Checks options once, where a mistake is a programming error (TypeError naming the option),
 * so that request time only ever raises ConnectJwtErrors. Adapters call this in their factory.
 */
export function validateVerifyOptions(options: Partial<VerifyOptions>, caller = 'verifyRequest'): void {
  if (!isSecretStore(options.store)) throw new TypeError(`${caller}: options.store must be a SecretStore`);
  if (options.qsh !== undefined && !QSH_MODES.has(options.qsh)) {
    throw new TypeError(`${caller}: options.qsh must be 'strict', 'context', 'any' or 'skip'`);
  }
  if (options.formParams !== undefined && !FORM_POLICIES.has(options.formParams)) {
    throw new TypeError(`${caller}: options.formParams must be 'none', 'fallback' or 'merge'`);
  }
  for (const name of ['clockTolerance', 'maxTokenAge', 'maxTokenLength'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
      throw new TypeError(`${caller}: options.${name} must be a non-negative number`);
    }
  }
  if (options.baseUrl !== undefined && typeof options.baseUrl !== 'string') {
    throw new TypeError(`${caller}: options.baseUrl must be a string`);
  }
  resolveAceSessionKey(options.aceSessionTokens, caller);
}

/**
 * Authenticates a request from an Atlassian product: finds its token, looks up the shared
 * secret by `iss`, verifies the HS256 signature, then the time claims and the qsh.
 * Every failure is a ConnectJwtError; a store failure is StoreUnavailableError (503).
 */
export async function verifyRequest(request: ConnectRequest, options: VerifyOptions): Promise<ConnectAuth> {
  if (options === null || typeof options !== 'object') throw new TypeError('verifyRequest: options are required');
  const token = extractToken(request, { maxTokenLength: options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH });
  const parsed = parseCompactToken(token);
  // `iss` is the only claim read before the signature is checked, and only to find the key; an
  // ACE session token (opted in) names the installation in `aud` instead, used the same way.
  const issuer = readIssuer(parsed.payload);
  const aceAppKey = options.aceSessionTokens?.appKey;
  const isAceSession = aceAppKey !== undefined && issuer === aceAppKey;
  const clientKey = isAceSession ? sessionClientKey(parsed.payload) : issuer;
  // One await here rather than an async helper: a promise and a microtask fewer per request.
  let stored: Installation | undefined;
  try {
    stored = await options.store.get(clientKey);
  } catch (cause) {
    throw storeFailure(cause);
  }
  let installation = installationForIssuer(stored, clientKey);
  try {
    verifyHs256(parsed, installation.sharedSecret);
  } catch (error) {
    installation = await reverifiedAgainstBackend(error, parsed, options.store, installation);
  }
  if (isAceSession) checkSessionInstallation(installation, aceAppKey);

  const payload = parsed.payload;
  validateTimeClaims(payload, {
    clockTolerance: options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
    maxTokenAge: options.maxTokenAge,
    requireTimes: true,
    now: nowInSeconds(),
  });
  // An ACE session token covers no query, so it states no licence.
  let queryCovered = false;
  if (isAceSession) checkSessionQsh(payload, options.qsh ?? 'strict');
  else queryCovered = checkQsh(payload, request, options);

  const auth: ConnectAuth = { kind: 'connect', clientKey, installation, payload: payload as JWTPayload, token };
  if (typeof payload.sub === 'string') auth.accountId = payload.sub;
  if (payload.context !== undefined) auth.context = payload.context;
  // Only a query the token signed: otherwise anyone could append `lic=active` to the URL.
  if (queryCovered) {
    const license = licenseFromQuery(String(request.url ?? ''));
    if (license !== undefined) auth.license = license;
  }
  return auth;
}

/**
 * The safety net under a cache's change feed: a token that fails against a cached record may be
 * signed with a secret a reinstall wrote a moment ago, which the feed has not evicted yet. The
 * backend is asked once more (through the cache's `revalidate`, which lets at most one read per key
 * per second through, so forged tokens for a known iss cannot become a backend read each) and the
 * token verified against what it holds; otherwise the first failure stands.
 */
async function reverifiedAgainstBackend(
  failure: unknown,
  parsed: ParsedToken,
  store: SecretStore,
  cached: Installation,
): Promise<Installation> {
  const revalidate = (store as { revalidate?: unknown }).revalidate;
  if (!(failure instanceof InvalidSignatureError) || typeof revalidate !== 'function') throw failure;
  let fresh: Installation | undefined;
  try {
    fresh = await (revalidate as (clientKey: string) => Promise<Installation | undefined>).call(
      store,
      cached.clientKey,
    );
  } catch (cause) {
    throw storeFailure(cause);
  }
  if (fresh === undefined || fresh === null || fresh.sharedSecret === cached.sharedSecret) throw failure;
  const installation = installationForIssuer(fresh, cached.clientKey);
  verifyHs256(parsed, installation.sharedSecret);
  return installation;
}

/** What the store answered for `iss`, once it is a record of this issuer with a secret; else InvalidIssuerError. */
function installationForIssuer(installation: Installation | undefined, clientKey: string): Installation {
  if (installation === undefined || installation === null) {
    throw new InvalidIssuerError('the token issuer is not a known installation');
  }
  // A row that holds another installation (copied there by someone who can write the table, or
  // a backend keyed wrongly) must not let that installation's secret speak for this issuer.
  if (installation.clientKey !== clientKey) {
    throw new InvalidIssuerError('the installation stored for the token issuer names another clientKey');
  }
  if (typeof installation.sharedSecret !== 'string' || installation.sharedSecret === '') {
    throw new InvalidIssuerError('the installation has no shared secret');
  }
  return installation;
}

/** Checks the qsh claim as the route's mode says; true when it matched this request's hash (the query is covered). */
function checkQsh(payload: Record<string, unknown>, request: ConnectRequest, options: VerifyOptions): boolean {
  const mode: QshMode = options.qsh ?? 'strict';
  if (mode === 'skip') return false;
  const claim = payload.qsh;
  if (claim === undefined) {
    throw new QshMismatchError('the token has no "qsh" claim', {
      canonicalRequest: canonicalFor(request, options, 'host'),
    });
  }
  if (typeof claim !== 'string') throw new MalformedTokenError('the token "qsh" claim is not a string');
  if (claim === CONTEXT_QSH) {
    if (mode === 'context' || mode === 'any') return false;
    throw new QshMismatchError(
      'a context token (qsh "context-qsh") cannot call a route that requires a request-bound qsh',
      {
        canonicalRequest: canonicalFor(request, options, 'host'),
      },
    );
  }
  if (mode === 'context') {
    throw new QshMismatchError('this route accepts only context tokens (qsh "context-qsh")');
  }
  // Plain comparisons are safe here: the signature is already verified, so the claim is
  // authentic, and both sides are public (the hash of the request the caller itself sent).
  const canonical = canonicalFor(request, options, 'host');
  if (claim === sha256Hex(canonical)) return true;
  // Tokens signed by the atlassian-jwt npm package (inside atlassian-connect-express) order
  // parameter names by their raw form and drop only one trailing `/`.
  const packageForm = canonicalFor(request, options, 'atlassian-jwt');
  if (packageForm !== canonical && claim === sha256Hex(packageForm)) return true;
  throw new QshMismatchError('the token qsh does not match this request', { canonicalRequest: canonical });
}

/** The canonical request of a received target: hashed as it came, never re-encoded. */
function canonicalFor(request: ConnectRequest, options: VerifyOptions, dialect: CanonicalDialect): string {
  const canonicalOptions: CanonicalRequestOptions = { baseUrl: options.baseUrl };
  if (options.formParams !== undefined && options.formParams !== 'none') {
    canonicalOptions.formParams = options.formParams;
    canonicalOptions.body = formBodyOf(request.body);
  }
  return buildCanonicalRequest(String(request.method ?? 'GET'), String(request.url ?? '/'), canonicalOptions, dialect);
}

function formBodyOf(body: unknown): FormBody | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return undefined;
  const form = body as Record<string, unknown>;
  for (const name of Object.keys(form)) {
    const value = form[name];
    // A nested-capable parser (qs: `user[role]=admin`) makes values the qsh cannot cover, yet the
    // handler reads them: a token for `a=1` would carry `a=1&user[role]=admin` in.
    if (value !== undefined && typeof value !== 'string' && !isStringList(value)) {
      throw new QshMismatchError(
        `the form field ${JSON.stringify(name.slice(0, 64))} is not a string or a list of strings, so the qsh cannot cover it`,
      );
    }
  }
  return form as FormBody;
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
