import { randomBytes, randomUUID } from 'node:crypto';
import { computeQsh, encode } from '@connect-jwt/core';
import {
  type ContextTokenOptions,
  type HostIdentity,
  type HostTokenOptions,
  mintContextToken,
  mintHostToken,
  tamperToken,
} from './host-tokens.js';
import { iframeParams, toQueryString } from './iframe-params.js';
import { type KeyServer, startKeyServer } from './key-server.js';
import { type ProductApi, type ReceivedCall, startProductApi, type UserAnswer } from './product-api.js';
import { PRODUCT_TYPES, type ProductType } from './product-type.js';
import { type InstallPayload, installPayload, signInstall } from './signed-install.js';
import { type WebhookEvent, webhookPayload } from './webhook-payloads.js';

export interface FakeProductOptions {
  /** Default `jira`. Confluence serves its API under `/wiki`, as the real one does. */
  productType?: ProductType;
  /** The installation's clientKey; default a random UUID. */
  clientKey?: string;
  /** The user the product acts for (`sub` of host and context tokens). */
  accountId?: string;
}

/**
 * How to break an install for a negative test: no token at all, an HS256 token signed with the
 * body's own shared secret (the classic forgery), a token for another add-on (`aud`), one signed by
 * a key the key server never published, or one that has expired.
 */
export type InstallForgery = 'unsigned' | 'hs256' | 'wrong-audience' | 'unpublished-key' | 'expired';

export interface InstallOptions {
  /** The add-on key; default the `key` of the add-on's `/atlassian-connect.json`. */
  appKey?: string;
  /** Default the descriptor's `lifecycle.installed`, else `/installed`. */
  installedPath?: string;
  /** Default the descriptor's `lifecycle.uninstalled`, else `/uninstalled`. */
  uninstalledPath?: string;
  /** Fields of the install body to replace. */
  payload?: Partial<InstallPayload>;
  /** Send a forged install instead (the product remembers nothing from it). */
  forgery?: InstallForgery;
}

export interface UninstallOptions {
  forgery?: InstallForgery;
}

export interface ProductRequestOptions {
  method?: string;
  /** A JSON body (sent with `content-type: application/json`) or a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Default a host token for exactly this request; a string sends that token; `null` sends none. */
  token?: string | null;
  /** Where the token goes; default the `Authorization: JWT …` header. */
  tokenIn?: 'header' | 'query';
}

export interface IframeOptions {
  /** The module key the iframe renders; default `hello`. */
  moduleKey?: string;
  /** More context parameters (e.g. `{ 'project.key': 'TEST' }`). */
  params?: Record<string, string>;
  accountId?: string;
  /**
   * The origin of the page that frames the iframe: what `xdm_e` names and where `all.js` posts
   * its messages. Default the product's site URL; a host page (`startHostPage`) passes its own.
   */
  hostOrigin?: string;
}

/** What the fake product knows about the add-on it installed. */
export interface InstalledAddon {
  appKey: string;
  baseUrl: string;
  installedPath: string;
  uninstalledPath: string;
}

export interface FakeProduct {
  readonly productType: ProductType;
  /** The product's base URL (what installs announce; its REST API is below it). */
  readonly baseUrl: string;
  /** The site URL (`xdm_e`), without Confluence's `/wiki`. */
  readonly siteUrl: string;
  /** Pass this to `connectLifecycle({ keyServerUrl })`. */
  readonly keyServerUrl: string;
  readonly keyServer: KeyServer;
  readonly clientKey: string;
  /** The current shared secret (changes on every successful install). */
  readonly sharedSecret: string;
  readonly accountId: string;
  /** The context the product shows the add-on (`AP.context.getContext()`, tokens' `context` claim). */
  readonly context: Record<string, unknown>;
  /** The add-on, once an install was accepted. */
  readonly addon: InstalledAddon | undefined;
  /** True between an accepted install and an accepted uninstall. */
  readonly installed: boolean;
  /** Every call the add-on made to the product's REST API, in order. */
  readonly received: ReceivedCall[];
  /** POSTs a signed install to the add-on; remembers the shared secret when it answers 2xx. */
  install(addonBaseUrl: string, options?: InstallOptions): Promise<Response>;
  /** POSTs a signed uninstall; afterwards the REST API refuses the add-on. */
  uninstall(options?: UninstallOptions): Promise<Response>;
  /** A host token for a request to the add-on (`url` below its base URL). */
  hostToken(options: HostTokenOptions): Promise<string>;
  /** A token as `AP.context.getToken()` returns it. */
  contextToken(options?: ContextTokenOptions): Promise<string>;
  /** A host token that expired an hour ago. */
  expiredToken(options: HostTokenOptions): Promise<string>;
  /** A host token whose claims were edited after signing. */
  tamperedToken(options: HostTokenOptions): Promise<string>;
  /** The signed URL the product puts in an iframe for `path` (context parameters and `jwt`). */
  iframeUrl(path: string, options?: IframeOptions): Promise<string>;
  /** GETs the iframe URL, as the browser does when the page opens. */
  loadIframe(path: string, options?: IframeOptions): Promise<Response>;
  /**
   * The product's REST API answering its signed-in user, as `AP.request` gets it (no add-on JWT;
   * not listed in `received`). `path` is below the product's base URL.
   */
  userRequest(path: string, options?: { method?: string; body?: unknown }): UserAnswer;
  /** Sends a request to the add-on (`path` below its base URL), signed as the host. */
  request(path: string, options?: ProductRequestOptions): Promise<Response>;
  /** POSTs a webhook with the event's realistic JSON body (or `body`), signed as the host. */
  webhook(path: string, event: WebhookEvent, options?: ProductRequestOptions): Promise<Response>;
  close(): Promise<void>;
}

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HOUR_MS = 60 * 60 * 1000;

function newSharedSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The add-on's descriptor, or why there is none (said in the error when no appKey was given either). */
async function readDescriptor(
  descriptorUrl: string,
): Promise<{ descriptor: Record<string, unknown> } | { problem: string }> {
  let response: Response;
  try {
    response = await fetch(descriptorUrl);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { problem: `GET ${descriptorUrl} failed (${cause}): is the add-on listening there?` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { problem: `GET ${descriptorUrl} answered ${response.status}: serve the descriptor there` };
  }
  try {
    const descriptor: unknown = await response.json();
    if (descriptor !== null && typeof descriptor === 'object')
      return { descriptor: descriptor as Record<string, unknown> };
  } catch {}
  return { problem: `GET ${descriptorUrl} did not answer a JSON object` };
}

/**
 * A fake Atlassian product on 127.0.0.1 for an add-on's own tests: an install-keys server, signed
 * installs, host/context tokens and webhooks sent to the add-on, and a REST API that checks the
 * add-on's outbound JWTs the way the host does. Close it after the test.
 */
export async function createFakeProduct(options: FakeProductOptions = {}): Promise<FakeProduct> {
  const productType = options.productType ?? 'jira';
  if (!PRODUCT_TYPES.includes(productType)) {
    throw new TypeError(`createFakeProduct: options.productType must be ${PRODUCT_TYPES.join(' or ')}`);
  }
  if (options.clientKey !== undefined && (typeof options.clientKey !== 'string' || options.clientKey === '')) {
    throw new TypeError('createFakeProduct: options.clientKey must be a non-empty string');
  }
  const clientKey = options.clientKey ?? randomUUID();
  const accountId = options.accountId ?? `5b10ac8d82e05b22cc7d4ef5${randomBytes(4).toString('hex')}`;
  let sharedSecret = newSharedSecret();
  let addon: InstalledAddon | undefined;
  let installed = false;
  let closing: Promise<void> | undefined;

  const keyServer = await startKeyServer();
  let api: ProductApi;
  try {
    api = await startProductApi({
      productType,
      accountId,
      caller: () => (installed && addon ? { appKey: addon.appKey, sharedSecret } : undefined),
    });
  } catch (error) {
    await keyServer.close();
    throw error;
  }

  function identity(): HostIdentity & { addon: InstalledAddon } {
    if (!addon) throw new Error('the fake product has not installed an add-on yet (install() it first)');
    return { clientKey, sharedSecret, addonBaseUrl: addon.baseUrl, addon };
  }

  function addonUrl(path: string): string {
    return ABSOLUTE_URL.test(path) ? path : `${identity().addon.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  const common = { license: { active: false }, url: { displayUrl: api.baseUrl } };
  const context: Record<string, unknown> =
    productType === 'jira'
      ? { ...common, jira: { project: { id: '10000', key: 'TEST' }, issue: { id: '10001', key: 'TEST-1' } } }
      : { ...common, confluence: { space: { id: '98306', key: 'TEST' }, content: { id: '65538', type: 'page' } } };

  // The host signs each callback afresh. RS256 is deterministic, so two callbacks for one
  // clientKey in the same second would carry the same token, which an add-on rightly refuses to
  // accept with two different bodies (a replay): each gets a later issue time than the last.
  const lastCallbackMs = new Map<string, number>();
  const callbackTime = (clientKey: string): number => {
    const now = Math.max(Date.now(), (lastCallbackMs.get(clientKey) ?? 0) + 1000);
    lastCallbackMs.set(clientKey, now);
    return now;
  };

  async function lifecycleToken(
    target: InstalledAddon,
    payload: InstallPayload,
    path: string,
    forgery: InstallForgery | undefined,
  ): Promise<string | undefined> {
    switch (forgery) {
      case undefined:
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          now: callbackTime(payload.clientKey),
        });
      case 'unsigned':
        return undefined;
      case 'hs256':
        return encode(
          { iss: payload.clientKey, aud: target.baseUrl, qsh: computeQsh('POST', path), ...timeClaims(Date.now()) },
          payload.sharedSecret,
        );
      case 'wrong-audience':
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          claims: { aud: ['https://another-addon.example.com'] },
        });
      case 'unpublished-key':
        return signInstall({ key: keyServer.createKey({ serve: false }), addonBaseUrl: target.baseUrl, payload, path });
      case 'expired':
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          now: Date.now() - HOUR_MS,
        });
      default:
        throw new TypeError(`unknown install forgery ${JSON.stringify(forgery)}`);
    }
  }

  async function sendLifecycle(
    target: InstalledAddon,
    payload: InstallPayload,
    path: string,
    forgery: InstallForgery | undefined,
  ): Promise<Response> {
    const token = await lifecycleToken(target, payload, path, forgery);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `JWT ${token}`;
    return fetch(`${target.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(payload) });
  }

  function lifecyclePayload(target: InstalledAddon, eventType: 'installed' | 'uninstalled', secret: string) {
    return installPayload({
      key: target.appKey,
      clientKey,
      sharedSecret: secret,
      baseUrl: api.baseUrl,
      displayUrl: api.baseUrl,
      productType,
      eventType,
    });
  }

  async function send(path: string, request: ProductRequestOptions): Promise<Response> {
    const method = (request.method ?? 'GET').toUpperCase();
    let url = addonUrl(path);
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      if (typeof request.body !== 'string') headers['content-type'] ??= 'application/json';
    }
    const token = request.token === undefined ? await product.hostToken({ method, url }) : request.token;
    if (token !== null) {
      if (request.tokenIn === 'query') url += `${url.includes('?') ? '&' : '?'}jwt=${encodeURIComponent(token)}`;
      else headers.authorization = `JWT ${token}`;
    }
    return fetch(url, { method, headers, ...(body !== undefined && { body }), redirect: 'manual' });
  }

  const product: FakeProduct = {
    productType,
    baseUrl: api.baseUrl,
    siteUrl: api.siteUrl,
    keyServerUrl: keyServer.url,
    keyServer,
    clientKey,
    get sharedSecret() {
      return sharedSecret;
    },
    accountId,
    context,
    get addon() {
      return addon;
    },
    get installed() {
      return installed;
    },
    received: api.received,

    async install(addonBaseUrl, installOptions = {}) {
      if (typeof addonBaseUrl !== 'string' || !/^https?:\/\/[^/]/.test(addonBaseUrl)) {
        throw new TypeError('install: addonBaseUrl must be the add-on base URL (http or https)');
      }
      const baseUrl = addonBaseUrl.replace(/\/+$/, '');
      const descriptorUrl = `${baseUrl}/atlassian-connect.json`;
      const read = await readDescriptor(descriptorUrl);
      const descriptor = 'descriptor' in read ? read.descriptor : undefined;
      const lifecycle = (descriptor?.lifecycle ?? {}) as { installed?: string; uninstalled?: string };
      const appKey = installOptions.appKey ?? (typeof descriptor?.key === 'string' ? descriptor.key : undefined);
      if (appKey === undefined) {
        throw new Error(
          'problem' in read
            ? `install: ${read.problem} (or pass options.appKey)`
            : `install: ${descriptorUrl} has no "key"; add it (or pass options.appKey)`,
        );
      }
      const target: InstalledAddon = {
        appKey,
        baseUrl,
        installedPath: installOptions.installedPath ?? lifecycle.installed ?? '/installed',
        uninstalledPath: installOptions.uninstalledPath ?? lifecycle.uninstalled ?? '/uninstalled',
      };
      // Every real (re)install rotates the secret; a forgery carries the attacker's own.
      const secret = newSharedSecret();
      const payload = { ...lifecyclePayload(target, 'installed', secret), ...installOptions.payload };
      const response = await sendLifecycle(target, payload, target.installedPath, installOptions.forgery);
      if (response.ok && installOptions.forgery === undefined) {
        addon = target;
        sharedSecret = payload.sharedSecret;
        installed = true;
      }
      return response;
    },

    async uninstall(uninstallOptions = {}) {
      const target = identity().addon;
      const payload = lifecyclePayload(target, 'uninstalled', sharedSecret);
      const response = await sendLifecycle(target, payload, target.uninstalledPath, uninstallOptions.forgery);
      if (response.ok && uninstallOptions.forgery === undefined) installed = false;
      return response;
    },

    hostToken(tokenOptions) {
      return mintHostToken(identity(), { accountId, ...tokenOptions });
    },

    contextToken(tokenOptions = {}) {
      return mintContextToken(identity(), { accountId, context, ...tokenOptions });
    },

    expiredToken(tokenOptions) {
      return mintHostToken(identity(), { accountId, ...tokenOptions, now: Date.now() - HOUR_MS });
    },

    async tamperedToken(tokenOptions) {
      return tamperToken(await mintHostToken(identity(), { accountId, ...tokenOptions }));
    },

    async iframeUrl(path, iframeOptions = {}) {
      const { addon: target } = identity();
      const params = iframeParams({
        productType,
        siteUrl: iframeOptions.hostOrigin ?? api.siteUrl,
        appKey: target.appKey,
        moduleKey: iframeOptions.moduleKey ?? 'hello',
        accountId: iframeOptions.accountId ?? accountId,
        ...(iframeOptions.params && { extra: iframeOptions.params }),
      });
      const unsigned = `${addonUrl(path)}${path.includes('?') ? '&' : '?'}${toQueryString(params)}`;
      const token = await mintHostToken(identity(), {
        url: unsigned,
        accountId: iframeOptions.accountId ?? accountId,
        context,
      });
      return `${unsigned}&jwt=${token}`;
    },

    async loadIframe(path, iframeOptions) {
      return fetch(await product.iframeUrl(path, iframeOptions), { redirect: 'manual' });
    },

    userRequest(path, requestOptions = {}) {
      return api.answerUser({ method: requestOptions.method ?? 'GET', url: path, body: requestOptions.body });
    },

    request(path, requestOptions = {}) {
      return send(path, requestOptions);
    },

    webhook(path, event, requestOptions = {}) {
      const body = requestOptions.body ?? webhookPayload(event, { siteUrl: api.siteUrl, accountId });
      return send(path, { ...requestOptions, method: 'POST', body });
    },

    close() {
      closing ??= Promise.all([api.close(), keyServer.close()]).then(() => undefined);
      return closing;
    },
  };
  return product;
}

function timeClaims(nowMs: number): { iat: number; exp: number } {
  const iat = Math.floor(nowMs / 1000);
  return { iat, exp: iat + 180 };
}
