import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign as signBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toAppAri } from '@connect-jwt/core/store-kit';

export interface FakeForgeOptions {
  /** The app id (bare uuid or ARI); default a random one. Tokens carry it as an ARI. */
  appId?: string;
  /** `app.installationId`; default a random installation ARI. */
  installationId?: string;
  /** `app.environment`; default `{ type: 'DEVELOPMENT', id: <random uuid> }`. */
  environment?: { type: string; id: string };
  /** `context.cloudId`; default a random uuid. */
  cloudId?: string;
  /** `context.siteUrl`; default `https://example.atlassian.net`. */
  siteUrl?: string;
  /** `principal` of tokens from the UI; default a random accountId. */
  accountId?: string;
  /** `app.module`; default a Forge remote resolver of a Jira issue panel. */
  module?: { type: string; key: string };
}

/**
 * A way to break a token for a negative test:
 * - `alg-none`: unsigned, `alg: none`;
 * - `hs256-public-key`: HS256 keyed with the served public key (the classic key confusion);
 * - `es256`: a header claiming ES256;
 * - `foreign-key`: signed by a key Forge never published, under a `kid` the JWKS serves;
 * - `unknown-kid`: signed by a key under a `kid` the JWKS does not hold;
 * - `tampered`: a valid token whose payload was changed after signing;
 * - `jku`: signed by a foreign key, with a `jku` header pointing to a JWKS that holds it.
 */
export type FitForgery = 'alg-none' | 'hs256-public-key' | 'es256' | 'foreign-key' | 'unknown-kid' | 'tampered' | 'jku';

export interface MintFitOptions {
  /** Claims merged over the default ones (`app` and `context` one level deep); `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Header fields merged over `{ alg: 'RS256', kid }`. */
  header?: Record<string, unknown>;
  /** Issue time in epoch seconds; default now. */
  issuedAt?: number;
  /** Seconds until `exp`; default 25, as Forge issues them. */
  expiresIn?: number;
  /** `null` for a trigger's token, which names no user. */
  principal?: string | null;
  forgery?: FitForgery;
}

export interface FitHeadersOptions extends MintFitOptions {
  /** Send `x-forge-oauth-system`; default true. */
  systemToken?: boolean;
  /** Send `x-forge-oauth-user`; default false. */
  userToken?: boolean;
}

/**
 * How the JWKS endpoint answers: `serve`, `error` (500), `garbage` (200, not a JWKS), `hang`
 * (never answers), `redirect` (302 to a copy of the JWKS, which a verifier must not follow),
 * `huge` (a JWKS of several MiB).
 */
export type JwksResponse = 'serve' | 'error' | 'garbage' | 'hang' | 'redirect' | 'huge';

/** One call made to the fake product API under `apiBaseUrl`. */
export interface ForgeApiCall {
  method: string;
  /** Path + query below the host. */
  url: string;
  /** Which token authorised it; undefined when none did (answered 401). */
  as: 'app' | 'user' | undefined;
}

export interface FakeForge {
  /** The app id as an ARI (`ari:cloud:ecosystem::app/<uuid>`). */
  readonly appId: string;
  readonly installationId: string;
  readonly cloudId: string;
  /** A fake product API on 127.0.0.1 that accepts this fake's system and user tokens. */
  readonly apiBaseUrl: string;
  /** Pass as `jwksUrl`. */
  readonly jwksUrl: string;
  /** The `kid` tokens are signed under now. */
  readonly kid: string;
  /** The opaque token sent as `x-forge-oauth-system` (valid for 3 hours). */
  readonly systemToken: string;
  /** The token sent as `x-forge-oauth-user`. */
  readonly userToken: string;
  /** A Forge Invocation Token in the documented claim shape, signed with the current key. */
  mintFit(options?: MintFitOptions): string;
  /** Request headers as Forge sends them: `authorization: Bearer <FIT>` and the OAuth tokens. */
  headers(options?: FitHeadersOptions): Record<string, string>;
  /** A new signing key; the previous one stays published unless `keepPrevious: false`. Returns the new kid. */
  rotateKeys(options?: { keepPrevious?: boolean }): string;
  /** Changes how the JWKS endpoint answers from now on. */
  respondJwks(response: JwksResponse): void;
  /** How many times the JWKS was requested. */
  readonly jwksRequests: number;
  /** How many times the attacker's JWKS named by the `jku` forgery was requested (a verifier must never). */
  readonly jkuRequests: number;
  /** Calls made to the fake product API. */
  readonly apiCalls: ForgeApiCall[];
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const INSTALLATION_PREFIX = 'ari:cloud:ecosystem::installation/';
const FIT_LIFETIME = 25;
const OAUTH_TOKEN_LIFETIME = 3 * 60 * 60;

function newKey(kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

function jwkOf(key: SigningKey): Record<string, unknown> {
  return { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', alg: 'RS256' };
}

const encodePart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signRs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const signingInput = `${encodePart(header)}.${encodePart(payload)}`;
  return `${signingInput}.${signBytes('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
}

/** An opaque-to-the-app bearer token shaped like Forge's: only its `exp` is meant to be read. */
function oauthToken(subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = encodePart({ alg: 'none', typ: 'JWT' });
  return `${header}.${encodePart({ sub: subject, iat: now, exp: now + OAUTH_TOKEN_LIFETIME, jti: randomUUID() })}.${randomUUID()}`;
}

function merge(base: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    const current = merged[name];
    if (value === undefined) delete merged[name];
    else if (isPlainObject(value) && isPlainObject(current) && (name === 'app' || name === 'context')) {
      merged[name] = merge(current, value);
    } else merged[name] = value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A fake Forge platform on 127.0.0.1: an RSA key pair with its JWKS, Forge Invocation Tokens in
 * the documented shape, and a product API that accepts the OAuth tokens sent beside them. Lets
 * Forge remote routes be tested offline the way createFakeProduct() tests Connect routes.
 */
export async function createFakeForge(options: FakeForgeOptions = {}): Promise<FakeForge> {
  const appId = toAppAri(options.appId ?? randomUUID());
  const installationId = options.installationId ?? `${INSTALLATION_PREFIX}${randomUUID()}`;
  const cloudId = options.cloudId ?? randomUUID();
  const environment = options.environment ?? { type: 'DEVELOPMENT', id: randomUUID() };
  const siteUrl = options.siteUrl ?? 'https://example.atlassian.net';
  const accountId = options.accountId ?? `712020:${randomUUID()}`;
  const module = options.module ?? { type: 'core:endpoint', key: 'remote-endpoint' };
  const systemToken = oauthToken(appId);
  const userToken = oauthToken(accountId);

  let current = newKey();
  let published: SigningKey[] = [current];
  // Signs forged tokens, never published by the JWKS; made on first use (RSA keys take a while).
  let foreignKey: SigningKey | undefined;
  const foreign = () => {
    foreignKey ??= newKey(current.kid);
    return foreignKey;
  };
  let jwksMode: JwksResponse = 'serve';
  let jwksRequests = 0;
  let jkuRequests = 0;
  const apiCalls: ForgeApiCall[] = [];
  const hanging = new Set<ServerResponse>();

  const jwksBody = () => JSON.stringify({ keys: published.map(jwkOf) });
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/.well-known/jwks.json') {
      jwksRequests++;
      if (jwksMode === 'serve') response.writeHead(200, { 'content-type': 'application/json' }).end(jwksBody());
      else if (jwksMode === 'error')
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
      else if (jwksMode === 'garbage')
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      else if (jwksMode === 'redirect') response.writeHead(302, { location: '/moved/jwks.json' }).end();
      else if (jwksMode === 'huge') {
        const filler = Array.from({ length: 40_000 }, (_, i) => ({
          kty: 'oct',
          kid: `filler-${i}`,
          k: 'x'.repeat(64),
        }));
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: [...published.map(jwkOf), ...filler] }));
      } else {
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
      }
      return;
    }
    if (url === '/moved/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwksBody());
      return;
    }
    if (url === '/attacker/jwks.json') {
      jkuRequests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwkOf(foreign())] }));
      return;
    }
    const authorization = request.headers.authorization;
    const as =
      authorization === `Bearer ${systemToken}` ? 'app' : authorization === `Bearer ${userToken}` ? 'user' : undefined;
    apiCalls.push({ method: request.method ?? 'GET', url, as });
    request.resume();
    if (as === undefined) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Unauthorized' }));
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, as, url }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const apiBaseUrl = `${origin}/ex/jira/${cloudId}`;

  const claims = (mint: MintFitOptions): Record<string, unknown> => {
    const iat = mint.issuedAt ?? Math.floor(Date.now() / 1000);
    const principal = mint.principal === undefined ? accountId : mint.principal;
    const base: Record<string, unknown> = {
      iss: 'forge/invocation-token',
      aud: appId,
      iat,
      nbf: iat,
      exp: iat + (mint.expiresIn ?? FIT_LIFETIME),
      jti: randomUUID(),
      app: {
        id: appId,
        version: '1',
        installationId,
        apiBaseUrl,
        environment,
        module,
        license: { isActive: true },
      },
      context: { cloudId, siteUrl, localId: randomUUID() },
      ...(principal !== null && { principal }),
    };
    return merge(base, mint.claims);
  };

  const mintFit = (mint: MintFitOptions = {}): string => {
    const payload = claims(mint);
    const header = { alg: 'RS256', typ: 'JWT', kid: current.kid, ...mint.header };
    switch (mint.forgery) {
      case undefined:
        return signRs256(header, payload, current.privateKey);
      case 'alg-none':
        return `${encodePart({ ...header, alg: 'none' })}.${encodePart(payload)}.`;
      case 'hs256-public-key': {
        const forgedHeader = { ...header, alg: 'HS256' };
        const signingInput = `${encodePart(forgedHeader)}.${encodePart(payload)}`;
        const secret = current.publicKey.export({ type: 'spki', format: 'pem' });
        return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      }
      case 'es256': {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const signingInput = `${encodePart({ ...header, alg: 'ES256' })}.${encodePart(payload)}`;
        const signature = signBytes('sha256', Buffer.from(signingInput), {
          key: privateKey,
          dsaEncoding: 'ieee-p1363',
        });
        return `${signingInput}.${signature.toString('base64url')}`;
      }
      case 'foreign-key':
        return signRs256(header, payload, foreign().privateKey);
      case 'unknown-kid':
        return signRs256({ ...header, kid: `unknown-${randomUUID()}` }, payload, foreign().privateKey);
      case 'jku':
        return signRs256({ ...header, jku: `${origin}/attacker/jwks.json` }, payload, foreign().privateKey);
      case 'tampered': {
        const [head, , signature] = signRs256(header, payload, current.privateKey).split('.');
        const changed = merge(payload, { app: { installationId: `${INSTALLATION_PREFIX}${randomUUID()}` } });
        return `${head}.${encodePart(changed)}.${signature}`;
      }
    }
  };

  return {
    appId,
    installationId,
    cloudId,
    apiBaseUrl,
    jwksUrl: `${origin}/.well-known/jwks.json`,
    get kid() {
      return current.kid;
    },
    systemToken,
    userToken,
    mintFit,
    headers(headerOptions = {}) {
      const { systemToken: sendSystem = true, userToken: sendUser = false, ...mint } = headerOptions;
      return {
        authorization: `Bearer ${mintFit(mint)}`,
        ...(sendSystem && { 'x-forge-oauth-system': systemToken }),
        ...(sendUser && { 'x-forge-oauth-user': userToken }),
      };
    },
    rotateKeys(rotation = {}) {
      current = newKey();
      published = rotation.keepPrevious === false ? [current] : [...published, current];
      return current.kid;
    },
    respondJwks(response) {
      jwksMode = response;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    get jkuRequests() {
      return jkuRequests;
    },
    apiCalls,
    close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
