import type { License } from './license.js';
import type { ConnectAuth } from './request.js';
import type { Installation, SecretStore } from './store.js';

/** The JWKS Forge signs invocation tokens with, for every app and every environment. */
export const FORGE_JWKS_URL = 'https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json';

/** The `iss` of a Forge Invocation Token (a Forge context token has another one). */
export const FORGE_INVOCATION_ISSUER = 'forge/invocation-token';

export interface ForgeVerifyOptions {
  /**
   * The app id(s) this server serves: bare uuid or ARI. Forge signs every app's tokens with one key
   * set, so this is what makes a token yours. Required: `undefined` is typed so that
   * `{ appId: process.env.FORGE_APP_ID }` compiles, and refused at setup with a TypeError.
   */
  appId: string | readonly string[] | undefined;
  /** Default FORGE_JWKS_URL; `http:` only for loopback hosts (tests, a local fake). */
  jwksUrl?: string | undefined;
  /** When given, only tokens whose `app.environment.type` is listed are accepted. */
  environments?: readonly string[] | undefined;
  /** Seconds of leeway for exp/nbf/iat; default 30. */
  clockTolerance?: number | undefined;
  /** Reject longer tokens before parsing anything; default 16384 characters. */
  maxTokenLength?: number | undefined;
  /** When given, `installation` is the Connect installation whose `installationId` is the token's. */
  store?: SecretStore | undefined;
}

/** A verified Forge Invocation Token: which app, installation and user a call comes from. */
export interface ForgeAuth {
  kind: 'forge';
  /** The verified `aud`: this app's id as an ARI. */
  appId: string;
  /** `app.installationId`, as the token spells it (an ARI). */
  installationId: string;
  /** Where product APIs are called for this installation (see forgeFetch). */
  apiBaseUrl: string;
  environment: { type: string; id: string };
  module?: { type: string; key: string };
  cloudId?: string;
  siteUrl?: string;
  /** `principal`: the user's accountId; absent for triggers and scheduled calls. */
  accountId?: string;
  context?: Record<string, unknown>;
  /** Every verified claim. */
  payload: Record<string, unknown>;
  /** The raw invocation token. */
  token: string;
  /** `x-forge-oauth-system`: calls the product as the app. Never printed by toJSON or util.inspect. */
  systemToken?: string;
  /** `x-forge-oauth-user`: calls the product as the user. Never printed either. */
  userToken?: string;
  /** The Connect installation of the same site, when a store was given and holds it. */
  installation?: Installation;
  /** `app.license` (paid apps in production only): `active`, else the deprecated `isActive`. */
  license?: License;
}

/**
 * The kinds of verified request an adapter may put on `req.atlassian`, by `kind`. Connect only by
 * default, so existing code reads `req.atlassian.clientKey` as before. An app whose routes accept
 * Forge Invocation Tokens adds the Forge kind once, and then narrows on `kind`:
 *
 * ```ts
 * declare module '@connect-jwt/core' {
 *   interface AtlassianAuthKinds { forge: ForgeAuth }
 * }
 * ```
 */
export interface AtlassianAuthKinds {
  connect: ConnectAuth;
}

/** What `req.atlassian` holds: a ConnectAuth, or (once declared in AtlassianAuthKinds) a ForgeAuth. */
export type AtlassianAuth = AtlassianAuthKinds[keyof AtlassianAuthKinds];
