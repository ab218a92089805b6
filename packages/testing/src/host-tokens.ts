import { createJwt } from '@connect-jwt/core';
import { isAbsoluteUrl, trimTrailingSlashes } from '@connect-jwt/core/adapter';

/** What a product knows about one installation of an add-on: enough to sign as the host. */
export interface HostIdentity {
  /** The installation's clientKey: `iss` of every host token. */
  clientKey: string;
  sharedSecret: string;
  /** The add-on's base URL: its path prefix is not part of the qsh. */
  addonBaseUrl: string;
}

export interface HostTokenOptions {
  method?: string;
  /** Path + query below the add-on's base URL (`/page?xdm_e=…`), or an absolute URL. */
  url: string;
  /** `sub`: the user the request is made for. */
  accountId?: string;
  /** The `context` claim. */
  context?: Record<string, unknown>;
  /** Lifetime in seconds; default 180, as the products issue them. */
  expiresIn?: number;
  /** Issue time (Date or epoch ms): a past one makes an expired token. */
  now?: Date | number;
  /** Extra claims, e.g. `aud`. */
  claims?: Record<string, unknown>;
}

/** The lifetime of `AP.context.getToken()` tokens. */
export const CONTEXT_TOKEN_LIFETIME = 15 * 60;

function absoluteAddonUrl(identity: HostIdentity, url: string): string {
  if (isAbsoluteUrl(url)) return url;
  return `${trimTrailingSlashes(identity.addonBaseUrl)}${url.startsWith('/') ? '' : '/'}${url}`;
}

/** A token as the product signs it for a request to the add-on: HS256, `iss` = clientKey, qsh of the request. */
export function mintHostToken(identity: HostIdentity, options: HostTokenOptions): Promise<string> {
  return createJwt(identity.clientKey, identity.sharedSecret, {
    method: options.method ?? 'GET',
    uri: absoluteAddonUrl(identity, options.url),
    baseUrl: identity.addonBaseUrl,
    ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn }),
    ...(options.accountId !== undefined && { subject: options.accountId }),
    ...(options.now !== undefined && { now: options.now }),
    claims: { ...options.claims, ...(options.context !== undefined && { context: options.context }) },
  });
}

export interface ContextTokenOptions {
  accountId?: string;
  context?: Record<string, unknown>;
  expiresIn?: number;
  now?: Date | number;
}

/** A token as `AP.context.getToken()` returns it: `qsh: "context-qsh"`, bound to no request. */
export function mintContextToken(identity: HostIdentity, options: ContextTokenOptions = {}): Promise<string> {
  return createJwt(identity.clientKey, identity.sharedSecret, {
    context: true,
    expiresIn: options.expiresIn ?? CONTEXT_TOKEN_LIFETIME,
    ...(options.accountId !== undefined && { subject: options.accountId }),
    ...(options.now !== undefined && { now: options.now }),
    claims: options.context !== undefined ? { context: options.context } : {},
  });
}

/**
 * The same token with one claim changed and the original signature kept: what an attacker who
 * edits a captured token sends. Verification must fail on the signature.
 */
export function tamperToken(token: string, claims: Record<string, unknown> = { sub: 'attacker' }): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new TypeError('tamperToken: token must be a compact JWS');
  }
  const edited = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...claims };
  return `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
}
