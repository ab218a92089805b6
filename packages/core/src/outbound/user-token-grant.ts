import { inspect } from 'node:util';
import { UserTokenError, UserTokenUnavailableError } from '../errors.js';
import { readBoundedText } from '../lib/read-bounded.js';
import { encode } from '../token/create.js';
import type { Installation } from '../types/store.js';

// Connect's user impersonation: the OAuth 2.0 JWT-bearer grant. The add-on signs an assertion
// with the installation's shared secret, the authorization server trades it for a short-lived
// Bearer token that acts as that user in that site.

/** A Bearer token acting as a user. Shown as `[redacted]` by `util.inspect` and `JSON.stringify`. */
export class UserAccessToken {
  readonly #accessToken: string;
  /** Epoch milliseconds after which it is no longer handed out (its expiry less a safety margin). */
  readonly expiresAt: number;

  constructor(accessToken: string, expiresAt: number) {
    this.#accessToken = accessToken;
    this.expiresAt = expiresAt;
  }

  /** The token for `Authorization: Bearer …`. */
  get accessToken(): string {
    return this.#accessToken;
  }

  toJSON(): { accessToken: string; expiresAt: number } {
    return { accessToken: '[redacted]', expiresAt: this.expiresAt };
  }

  [inspect.custom](): string {
    return `UserAccessToken { accessToken: [redacted], expiresAt: ${new Date(this.expiresAt).toISOString()} }`;
  }
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Atlassian checks `exp - iat` ≤ 60 s ("Expiration timestamp too far in the future"). */
const ASSERTION_LIFETIME_SECONDS = 60;
/** A token is dropped this long before it expires, so a call made with it does not fail on the way. */
const EXPIRY_MARGIN_MS = 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** Atlassian's authorization server for a site, by the site's host (ACE and Atlassian's own clients agree). */
export function authorizationServerFor(baseUrl: string): string {
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : '';
  if (host.endsWith('.jira-dev.com')) return 'https://oauth-2-authorization-server.stg.services.atlassian.com';
  if (host.endsWith('.atlassian-us-gov-mod.net')) {
    return 'https://oauth-2-authorization-server.services.atlassian-us-gov-mod.com';
  }
  if (host.endsWith('.atlassian-stg-fedm.net')) {
    return 'https://oauth-2-authorization-server.stg.services.atlassian-us-gov-mod.com';
  }
  return 'https://oauth-2-authorization-server.services.atlassian.com';
}

/** Everything a token request needs, checked before anything is sent. */
export interface TokenRequest {
  key: string;
  installation: Installation & { oauthClientId: string };
  accountId: string;
  scope: string | undefined;
  server: string;
  timeoutMs: number;
  /** The caller's: it stops waiting when this fires, the shared request goes on. */
  signal: AbortSignal | undefined;
}

/** The token request itself: the signed assertion POSTed to `<server>/oauth2/token`. */
export async function requestUserToken(request: TokenRequest): Promise<UserAccessToken> {
  const { installation, server } = request;
  const iat = Math.floor(Date.now() / 1000);
  const assertion = await encode(
    {
      iss: `urn:atlassian:connect:clientid:${installation.oauthClientId}`,
      sub: `urn:atlassian:connect:useraccountid:${request.accountId}`,
      // As installed: Confluence's baseUrl keeps its /wiki, the server checks it verbatim.
      tnt: installation.baseUrl,
      aud: server,
      iat,
      exp: iat + ASSERTION_LIFETIME_SECONDS,
    },
    installation.sharedSecret,
  );
  const body = new URLSearchParams({ grant_type: GRANT_TYPE, assertion });
  if (request.scope !== undefined) body.set('scope', request.scope);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${server}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: body.toString(),
      redirect: 'error',
      // Not the caller's signal: callers share this request, and one leaving must not fail the others.
      signal: timeout,
    });
    text = await readBoundedText(response, MAX_ANSWER_BYTES, () => new Error('answer too large'));
  } catch (cause) {
    // The cause is fetch's own error: it names the URL and the failure, never the request body.
    throw new UserTokenUnavailableError(
      timeout.aborted
        ? `the authorization server ${server} did not answer within ${request.timeoutMs} ms`
        : `the authorization server ${server} could not be reached`,
      { cause },
    );
  }
  const answer = parseJsonObject(text);
  if (response.status === 429 || response.status >= 500) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new UserTokenUnavailableError(`the authorization server ${server} answered ${response.status}`, {
      authServerStatus: response.status,
      ...(Number.isInteger(retryAfter) && retryAfter > 0 && { retryAfter }),
    });
  }
  if (!response.ok) {
    const error = oauthText(answer?.error, assertion);
    const errorDescription = oauthText(answer?.error_description, assertion);
    throw new UserTokenError(
      `the authorization server refused a token for this user (${response.status}${error ? ` ${error}` : ''}${errorDescription ? `: ${errorDescription}` : ''})`,
      {
        authServerStatus: response.status,
        ...(error !== undefined && { error }),
        ...(errorDescription !== undefined && { errorDescription }),
      },
    );
  }
  const accessToken = answer?.access_token;
  const expiresIn = answer?.expires_in;
  const tokenType = answer?.token_type;
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof expiresIn !== 'number' ||
    !(expiresIn > 0) ||
    typeof tokenType !== 'string' ||
    tokenType.toLowerCase() !== 'bearer'
  ) {
    throw new UserTokenError('the authorization server answered without a usable Bearer token', {
      authServerStatus: response.status,
    });
  }
  // A short-lived token keeps at least half its life: the margin never eats all of it.
  const margin = Math.min(EXPIRY_MARGIN_MS, (expiresIn * 1000) / 2);
  return new UserAccessToken(accessToken, Date.now() + expiresIn * 1000 - margin);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An OAuth error field fit for a message: a short printable string, never the assertion echoed back. */
function oauthText(value: unknown, assertion: string): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const printable = value.replaceAll(assertion, '[assertion]').replace(/[\u0000-\u001f\u007f]/g, ' ');
  return printable.length > 300 ? `${printable.slice(0, 300)}…` : printable;
}
