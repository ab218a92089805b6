import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode, decodeUnverified } from '@connect-jwt/core';
import { readBody } from './read-body.js';

/** The installation as the authorization server knows it: what the assertion is checked against. */
export interface OAuthClient {
  oauthClientId: string;
  sharedSecret: string;
  /** The installation's baseUrl: the assertion's `tnt`. */
  baseUrl: string;
  /** The add-on key, recorded on the calls its tokens make. */
  appKey: string;
}

/** One `POST /oauth2/token` as the fake authorization server saw it. */
export interface TokenRequestRecord {
  /** 200 when a token was issued, else the refusal's status. */
  status: number;
  /** The OAuth error of a refusal (`invalid_grant`, …). */
  error?: string;
  /** Why it was refused, as `error_description` said. */
  errorDescription?: string;
  /** The accountId of an accepted assertion. */
  accountId?: string;
  /** The `scope` parameter as sent. */
  scope?: string;
}

/** What a Bearer token issued here acts as. */
export interface IssuedToken {
  accountId: string;
  appKey: string;
  scope: string | undefined;
  /** Epoch ms after which the product refuses it. */
  expiresAt: number;
}

export interface AuthorizationServer {
  /** Its base URL: the assertion's `aud`, and `authorizationServerUrl` for getUserAccessToken/productFetch. */
  readonly url: string;
  /** Every token request, in order. */
  readonly requests: TokenRequestRecord[];
  /** The token's account, when it was issued here and has not expired; else undefined. */
  lookup(accessToken: string): { token: IssuedToken | undefined; expired: boolean };
  /** Ends the life of every token issued so far (the product refuses them from now on). */
  expireTokens(): void;
  close(): Promise<void>;
}

export interface AuthorizationServerOptions {
  /** The installed add-on, or undefined (then every assertion is refused). */
  client: () => OAuthClient | undefined;
  /** Seconds a token lives (`expires_in`); default 900, as Atlassian's. */
  tokenLifetime?: number;
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_PREFIX = 'urn:atlassian:connect:clientid:';
const ACCOUNT_PREFIX = 'urn:atlassian:connect:useraccountid:';
const MAX_ASSERTION_LIFETIME = 60;
/** Scopes as Atlassian takes them: upper-case names, one space between. */
const SCOPE_FORM = /^[A-Z_]+( [A-Z_]+)*$/;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/**
 * A strict stand-in for Atlassian's OAuth 2.0 authorization server (Connect user impersonation):
 * `POST /oauth2/token` with the JWT-bearer grant. Everything Atlassian checks is checked, so a
 * client that passes here sends what the real one takes: form encoding, the grant type, the
 * assertion's HS256 signature with the installation's secret, `iss`, `sub`, `tnt`, `aud`, `iat`,
 * `exp` at most 60 s after `iat`, no `qsh`, and upper-case space-separated scopes.
 */
export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const lifetime = options.tokenLifetime ?? 900;
  const requests: TokenRequestRecord[] = [];
  const issued = new Map<string, IssuedToken>();
  let url = '';

  const server = createServer((req, res) => {
    answer(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: TokenRequestRecord = { status: 0 };
    requests.push(record);
    try {
      const body = await readForm(req);
      if (body.has('scope')) record.scope = body.get('scope') ?? '';
      const token = await issue(body);
      record.status = 200;
      record.accountId = token.accountId;
      const accessToken = randomBytes(24).toString('base64url');
      issued.set(accessToken, token);
      send(res, 200, { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' });
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(400, 'invalid_request', 'unreadable request');
      record.status = refusal.status;
      record.error = refusal.error;
      record.errorDescription = refusal.message;
      send(res, refusal.status, { error: refusal.error, error_description: refusal.message });
    }
  }

  async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/oauth2/token') {
      throw new Refusal(404, 'not_found', 'only POST /oauth2/token is served here');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw new Refusal(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    if (!(req.headers.accept ?? '').includes('application/json')) {
      throw new Refusal(406, 'invalid_request', 'Accept must include application/json');
    }
    return new URLSearchParams((await readBody(req, 64 * 1024)).toString('utf8'));
  }

  async function issue(body: URLSearchParams): Promise<IssuedToken> {
    if (body.get('grant_type') !== GRANT_TYPE) {
      throw new Refusal(400, 'unsupported_grant_type', `grant_type must be ${GRANT_TYPE}`);
    }
    const scope = body.get('scope');
    if (scope !== null && !SCOPE_FORM.test(scope)) {
      throw new Refusal(400, 'invalid_scope', 'scopes must be upper-case names separated by single spaces');
    }
    const assertion = body.get('assertion');
    if (assertion === null || assertion === '') throw new Refusal(400, 'invalid_request', 'assertion is missing');
    const client = options.client();
    if (client === undefined) throw new Refusal(401, 'invalid_client', 'no add-on is installed');
    let unverified: Record<string, unknown>;
    try {
      unverified = decodeUnverified(assertion);
    } catch {
      throw new Refusal(400, 'invalid_grant', 'the assertion is not a JWT');
    }
    if (unverified.iss !== `${CLIENT_PREFIX}${client.oauthClientId}`) {
      throw new Refusal(401, 'invalid_client', 'iss does not name a known OAuth client');
    }
    let claims: Record<string, unknown>;
    try {
      // No leeway: every time claim is checked below, strictly.
      claims = await decode(assertion, client.sharedSecret, { clockTolerance: 0 });
    } catch {
      throw new Refusal(400, 'invalid_grant', 'the assertion signature or times are invalid');
    }
    const now = Math.floor(Date.now() / 1000);
    const { sub, tnt, aud, iat, exp } = claims;
    if (typeof sub !== 'string' || !sub.startsWith(ACCOUNT_PREFIX) || sub.length === ACCOUNT_PREFIX.length) {
      throw new Refusal(400, 'invalid_grant', `sub must be ${ACCOUNT_PREFIX}<accountId>`);
    }
    if (tnt !== client.baseUrl) throw new Refusal(400, 'invalid_grant', "tnt must be the installation's baseUrl");
    if (aud !== url) throw new Refusal(400, 'invalid_grant', 'aud must be the authorization server URL');
    if (typeof iat !== 'number' || iat > now) throw new Refusal(400, 'invalid_grant', 'iat must be now');
    if (typeof exp !== 'number' || exp <= now) throw new Refusal(400, 'invalid_grant', 'the assertion has expired');
    if (exp - iat > MAX_ASSERTION_LIFETIME) {
      throw new Refusal(400, 'invalid_grant', 'Expiration timestamp too far in the future');
    }
    if ('qsh' in claims) throw new Refusal(400, 'invalid_grant', 'an assertion carries no qsh');
    return {
      accountId: sub.slice(ACCOUNT_PREFIX.length),
      appKey: client.appKey,
      scope: scope ?? undefined,
      expiresAt: Date.now() + lifetime * 1000,
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    lookup(accessToken) {
      const token = issued.get(accessToken);
      if (token === undefined) return { token: undefined, expired: false };
      return token.expiresAt > Date.now() ? { token, expired: false } : { token: undefined, expired: true };
    },
    expireTokens() {
      for (const token of issued.values()) token.expiresAt = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
