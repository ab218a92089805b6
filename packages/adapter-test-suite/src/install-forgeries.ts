// The one table of forged lifecycle callbacks. Core's handler test runs it against the domain
// handler, and every adapter runs it over real HTTP; a new forgery is one row here.
import { encode } from '@connect-jwt/core';
import {
  type InstallPayload,
  installPayload,
  type KeyServer,
  type SignInstallOptions,
  signInstall,
} from '@connect-jwt/testing';
import { nowSeconds, unsignedToken } from './tokens.js';

/** What a row needs: the key server Atlassian signs with and the victim already installed. */
export interface ForgeryContext {
  keyServer: KeyServer;
  addonBaseUrl: string;
  victim: InstallPayload;
}

/** One forged callback: a POST to `path` with `Authorization: JWT token` and a JSON body. */
export interface ForgedCall {
  path: '/installed' | '/uninstalled';
  token: string | undefined;
  /** A second token in the query string (`?jwt=`). */
  queryToken?: string;
  body: unknown;
}

export interface InstallForgery {
  name: string;
  /** 401 ERR_INVALID_INSTALL, or 503 ERR_STORE_UNAVAILABLE when the key server fails. */
  status: 401 | 503;
  build(context: ForgeryContext): ForgedCall | Promise<ForgedCall>;
}

export const ATTACKER_SECRET = 'attacker-chosen-secret';

/** The error code a forgery's status stands for. */
export function forgeryCode(status: InstallForgery['status']): 'ERR_INVALID_INSTALL' | 'ERR_STORE_UNAVAILABLE' {
  return status === 503 ? 'ERR_STORE_UNAVAILABLE' : 'ERR_INVALID_INSTALL';
}

const forgedOf = (victim: InstallPayload): InstallPayload => ({ ...victim, sharedSecret: ATTACKER_SECRET });

type SignOptions = Partial<SignInstallOptions>;

function sign(context: ForgeryContext, payload: InstallPayload, options: SignOptions = {}) {
  return signInstall({ key: context.keyServer.key, addonBaseUrl: context.addonBaseUrl, payload, ...options });
}

/** A POST to /installed carrying the attacker's secret, signed as `options` say (read when the row runs). */
function forgedInstall(options: SignOptions | ((context: ForgeryContext) => SignOptions)) {
  return (context: ForgeryContext): ForgedCall => ({
    path: '/installed',
    token: sign(context, forgedOf(context.victim), typeof options === 'function' ? options(context) : options),
    body: forgedOf(context.victim),
  });
}

function keyServerAnswering(mode: 'not-found' | 'error' | 'garbage' | 'hang') {
  return (context: ForgeryContext): ForgedCall => {
    const key = context.keyServer.createKey();
    context.keyServer.respond(key.kid, mode);
    return forgedInstall({ key })(context);
  };
}

function unsecured(claims: Record<string, unknown>): string {
  return unsignedToken({ alg: 'none', typ: 'JWT' }, { ...claims, iat: nowSeconds(), exp: nowSeconds() + 60 });
}

function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const edited = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...claims };
  return `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
}

const row = (name: string, build: InstallForgery['build'], status: InstallForgery['status'] = 401) => ({
  name,
  status,
  build,
});

/** Every forgery tried against a victim's installation; none may change its stored secret. */
export const installForgeries: readonly InstallForgery[] = [
  row('no token', ({ victim }) => ({ path: '/installed', token: undefined, body: forgedOf(victim) })),
  row('an HS256 token signed with the stored shared secret', async ({ victim, addonBaseUrl }) => ({
    path: '/installed',
    token: await encode(
      { iss: victim.clientKey, aud: [addonBaseUrl], iat: nowSeconds(), exp: nowSeconds() + 60, qsh: 'x' },
      victim.sharedSecret,
    ),
    body: forgedOf(victim),
  })),
  row('alg none', ({ victim, addonBaseUrl }) => ({
    path: '/installed',
    token: unsecured({ iss: victim.clientKey, aud: addonBaseUrl }),
    body: forgedOf(victim),
  })),
  row('an HS512 token', forgedInstall({ header: { alg: 'HS512' } })),
  row(
    'RS256 with a key the key server does not serve',
    forgedInstall((context) => ({ key: context.keyServer.createKey({ serve: false }) })),
  ),
  row(
    "RS256 signed with another key under the served key's kid",
    forgedInstall((context) => ({
      key: { ...context.keyServer.createKey({ serve: false }), kid: context.keyServer.key.kid },
    })),
  ),
  row('a wrong aud (a string)', forgedInstall({ claims: { aud: 'https://evil.example.com' } })),
  row('a wrong aud (an array)', forgedInstall({ claims: { aud: ['https://evil.example.com'] } })),
  row(
    'an aud that only starts with the base URL (a string)',
    forgedInstall((context) => ({ claims: { aud: `${context.addonBaseUrl}.evil.io` } })),
  ),
  row(
    'an aud that only starts with the base URL (an array)',
    forgedInstall((context) => ({ claims: { aud: [`${context.addonBaseUrl}.evil.io`] } })),
  ),
  row(
    'an aud with a path below the base URL',
    forgedInstall((context) => ({ claims: { aud: `${context.addonBaseUrl}/x` } })),
  ),
  row('no aud', forgedInstall({ claims: { aud: undefined } })),
  row('iss other than the body clientKey', (context) => ({
    path: '/installed',
    token: sign(context, { ...forgedOf(context.victim), clientKey: 'another-installation' }),
    body: forgedOf(context.victim),
  })),
  row('no iss', forgedInstall({ claims: { iss: undefined } })),
  row("a body whose clientKey differs from the token's (a valid token of another installation)", (context) => ({
    path: '/installed',
    token: sign(context, installPayload()),
    body: forgedOf(context.victim),
  })),
  row('no qsh', forgedInstall({ claims: { qsh: undefined } })),
  row('a context-qsh token', forgedInstall({ claims: { qsh: 'context-qsh' } })),
  row('a qsh of /uninstalled replayed on /installed', forgedInstall({ path: '/uninstalled' })),
  row('a valid install token replayed on /uninstalled', (context) => ({
    path: '/uninstalled',
    token: sign(context, context.victim),
    body: { ...context.victim, eventType: 'uninstalled' },
  })),
  row('no exp', forgedInstall({ claims: { exp: undefined } })),
  row(
    'an expired token',
    forgedInstall(() => ({ now: Date.now() - 3_600_000 })),
  ),
  row('an exp that is not a number', forgedInstall({ claims: { exp: '9999999999' } })),
  row(
    'issued in the future',
    forgedInstall(() => ({ now: Date.now() + 3_600_000 })),
  ),
  row(
    'not valid before a future nbf',
    forgedInstall(() => ({ claims: { nbf: nowSeconds() + 3600 } })),
  ),
  row(
    'a kid containing ../',
    forgedInstall((context) => ({ header: { kid: `../${context.keyServer.key.kid}` } })),
  ),
  row('no kid', forgedInstall({ header: { kid: undefined } })),
  row('a tampered payload', (context) => ({
    path: '/installed',
    token: tamper(sign(context, context.victim), { iss: 'x' }),
    body: forgedOf(context.victim),
  })),
  row('an oversized token', forgedInstall({ claims: { pad: 'x'.repeat(9000) } })),
  row('two different tokens (header and query)', (context) => ({
    ...forgedInstall({ expiresIn: 60 })(context),
    queryToken: sign(context, forgedOf(context.victim), { header: { kid: 'fake-kid' } }),
  })),
  row('a token in the JSON body only', (context) => ({
    path: '/installed',
    token: undefined,
    body: { ...forgedOf(context.victim), jwt: sign(context, forgedOf(context.victim)) },
  })),
  row('the key server answering 404', keyServerAnswering('not-found')),
  row('the key server answering 500', keyServerAnswering('error'), 503),
  row('the key server answering garbage', keyServerAnswering('garbage'), 503),
  row('the key server not answering (timeout)', keyServerAnswering('hang'), 503),
];
