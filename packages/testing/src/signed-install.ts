import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { computeQsh } from '@connect-jwt/core';
import type { SigningKey } from './key-server.js';

/** The JSON body Jira and Confluence POST to an add-on's `/installed` and `/uninstalled`. */
export interface InstallPayload {
  key: string;
  clientKey: string;
  /** Legacy RSA key of the instance (still sent, no longer used for verification). */
  publicKey: string;
  sharedSecret: string;
  serverVersion: string;
  pluginsVersion: string;
  baseUrl: string;
  displayUrl: string;
  productType: 'jira' | 'confluence';
  description: string;
  eventType: 'installed' | 'uninstalled';
  [field: string]: unknown;
}

/** A realistic lifecycle body with fresh random identifiers; any field can be overridden. */
export function installPayload(overrides: Partial<InstallPayload> = {}): InstallPayload {
  const productType = overrides.productType ?? 'jira';
  const site = `https://site-${randomBytes(4).toString('hex')}.atlassian.net`;
  // Confluence Cloud lives under /wiki, so its baseUrl has a path (and qsh must strip it).
  const baseUrl = productType === 'confluence' ? `${site}/wiki` : site;
  return {
    key: 'com.example.connect-addon',
    clientKey: randomUUID(),
    publicKey: randomBytes(294).toString('base64'),
    sharedSecret: randomBytes(48).toString('base64url'),
    serverVersion: productType === 'confluence' ? '6452' : '100265',
    pluginsVersion: '1001.0.0-SNAPSHOT',
    baseUrl,
    displayUrl: baseUrl,
    productType,
    description: productType === 'confluence' ? 'Atlassian Confluence' : 'Atlassian JIRA at null/.',
    eventType: 'installed',
    ...overrides,
  };
}

export interface SignInstallOptions {
  /** The key to sign with (`kid` goes into the header). */
  key: Pick<SigningKey, 'kid' | 'privateKey'>;
  /** The add-on's base URL: the token's `aud`, and the prefix not part of the qsh. */
  addonBaseUrl: string;
  /** The body this token goes with: `iss` is its clientKey. */
  payload: Pick<InstallPayload, 'clientKey'> & { eventType?: string };
  /** Path of the callback below the add-on's base URL; default `/installed` or `/uninstalled`. */
  path?: string;
  /** Lifetime in seconds; default 180. */
  expiresIn?: number;
  /** Issue time (Date or epoch ms): a past one makes an expired token. */
  now?: Date | number;
  /** Claims to add or replace; a value of `undefined` removes the claim (e.g. `{ qsh: undefined }`). */
  claims?: Record<string, unknown>;
  /** Header fields to add or replace, e.g. `{ kid: '../other' }`. */
  header?: Record<string, unknown>;
}

/**
 * An install token as Atlassian signs lifecycle callbacks: RS256 with a `kid` the key server
 * serves, `iss` = clientKey, `aud` = the add-on base URL, `qsh` of `POST <path>`, `iat`, `exp`.
 */
export function signInstall(options: SignInstallOptions): string {
  const nowMs = options.now === undefined ? Date.now() : new Date(options.now).getTime();
  const iat = Math.floor(nowMs / 1000);
  const path = options.path ?? (options.payload.eventType === 'uninstalled' ? '/uninstalled' : '/installed');
  const claims: Record<string, unknown> = {
    iss: options.payload.clientKey,
    aud: [options.addonBaseUrl],
    qsh: computeQsh('POST', path),
    iat,
    exp: iat + (options.expiresIn ?? 180),
  };
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  const header = { kid: options.key.kid, typ: 'JWT', alg: 'RS256', ...options.header };
  const signingInput = `${encodeJson(header)}.${encodeJson(claims)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(options.key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
