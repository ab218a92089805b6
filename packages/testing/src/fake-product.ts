import { randomBytes, randomUUID } from 'node:crypto';
import { isAbsoluteUrl, trimTrailingSlashes } from '@connect-jwt/core/adapter';
import { type AuthorizationServer, startAuthorizationServer } from './authorization-server.js';
import type { FakeProduct, FakeProductOptions, InstalledAddon } from './fake-product-types.js';
import { type HostIdentity, mintContextToken, mintHostToken, tamperToken } from './host-tokens.js';
import { iframeParams, toQueryString } from './iframe-params.js';
import { startKeyServer } from './key-server.js';
import { createLifecycleClient, readDescriptor } from './lifecycle-client.js';
import { type AppLicense, type ProductApi, startProductApi } from './product-api.js';
import { PRODUCT_TYPES } from './product-type.js';
import { createRateLimitScript } from './rate-limit.js';
import { createRequestClient } from './request-client.js';
import { installPayload } from './signed-install.js';
import { webhookPayload } from './webhook-payloads.js';

export type {
  FakeProduct,
  FakeProductOptions,
  IframeOptions,
  InstalledAddon,
  InstallForgery,
  InstallOptions,
  ProductRequestOptions,
  UninstallOptions,
  WebhookDeliveryOptions,
} from './fake-product-types.js';

const HOUR_MS = 60 * 60 * 1000;

function newSharedSecret(): string {
  return randomBytes(32).toString('base64url');
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

  const oauthClientId = randomBytes(16).toString('hex');
  const keyServer = await startKeyServer();
  const rateLimits = createRateLimitScript();
  let api: ProductApi;
  let authorizationServer: AuthorizationServer;
  try {
    authorizationServer = await startAuthorizationServer({
      client: () =>
        installed && addon ? { oauthClientId, sharedSecret, baseUrl: api.baseUrl, appKey: addon.appKey } : undefined,
      ...(options.userTokenLifetime !== undefined && { tokenLifetime: options.userTokenLifetime }),
    });
  } catch (error) {
    await keyServer.close();
    throw error;
  }
  let license: AppLicense | undefined = options.license;
  try {
    api = await startProductApi({
      productType,
      accountId,
      license: () => license,
      caller: () => (installed && addon ? { appKey: addon.appKey, sharedSecret } : undefined),
      bearer: (token) => {
        const { token: issued, expired } = authorizationServer.lookup(token);
        if (issued === undefined || !installed) return { refused: expired ? 'ERR_TOKEN_EXPIRED' : 'ERR_TOKEN_UNKNOWN' };
        return { accountId: issued.accountId, appKey: issued.appKey };
      },
      limited: () => rateLimits.take(),
    });
  } catch (error) {
    await Promise.all([keyServer.close(), authorizationServer.close()]);
    throw error;
  }

  function identity(): HostIdentity & { addon: InstalledAddon } {
    if (!addon) throw new Error('the fake product has not installed an add-on yet (install() it first)');
    return { clientKey, sharedSecret, addonBaseUrl: addon.baseUrl, addon };
  }

  function addonUrl(path: string): string {
    return isAbsoluteUrl(path) ? path : `${identity().addon.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  const common = { license: { active: false }, url: { displayUrl: api.baseUrl } };
  const context: Record<string, unknown> =
    productType === 'jira'
      ? { ...common, jira: { project: { id: '10000', key: 'TEST' }, issue: { id: '10001', key: 'TEST-1' } } }
      : { ...common, confluence: { space: { id: '98306', key: 'TEST' }, content: { id: '65538', type: 'page' } } };

  const lifecycle = createLifecycleClient(keyServer);
  const sendLifecycle = lifecycle.send;

  function lifecyclePayload(target: InstalledAddon, eventType: 'installed' | 'uninstalled', secret: string) {
    return installPayload({
      key: target.appKey,
      clientKey,
      sharedSecret: secret,
      baseUrl: api.baseUrl,
      displayUrl: api.baseUrl,
      productType,
      eventType,
      oauthClientId,
    });
  }

  const send = createRequestClient({ addonUrl, hostToken: (request) => product.hostToken(request) });

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
    oauthClientId,
    authorizationServerUrl: authorizationServer.url,
    tokenRequests: authorizationServer.requests,
    expireUserTokens: () => authorizationServer.expireTokens(),
    rateLimit: (limit) => rateLimits.add(limit),

    async install(addonBaseUrl, installOptions = {}) {
      if (typeof addonBaseUrl !== 'string' || !/^https?:\/\/[^/]/.test(addonBaseUrl)) {
        throw new TypeError('install: addonBaseUrl must be the add-on base URL (http or https)');
      }
      const baseUrl = trimTrailingSlashes(addonBaseUrl);
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

    setLicense(next) {
      license = next;
    },

    webhook(path, event, deliveryOptions = {}) {
      const { identifier = randomUUID(), retry = 0, flow = 'Primary', ...requestOptions } = deliveryOptions;
      const body = requestOptions.body ?? webhookPayload(event, { siteUrl: api.siteUrl, accountId });
      const headers: Record<string, string> = {
        'x-atlassian-webhook-identifier': identifier,
        'x-atlassian-webhook-flow': flow,
        ...(retry > 0 && { 'x-atlassian-webhook-retry': String(retry) }),
        ...requestOptions.headers,
      };
      return send(path, { ...requestOptions, headers, method: 'POST', body });
    },

    async webhookTwice(path, event, how, deliveryOptions = {}) {
      const first = { identifier: randomUUID(), ...deliveryOptions };
      const second = { ...first, retry: (first.retry ?? 0) + 1 };
      if (how === 'concurrent')
        return Promise.all([product.webhook(path, event, first), product.webhook(path, event, second)]);
      // The retry goes once the first delivery is answered, as Jira's does.
      const answer = await product.webhook(path, event, first);
      return [answer, await product.webhook(path, event, second)];
    },

    close() {
      closing ??= Promise.all([api.close(), keyServer.close(), authorizationServer.close()]).then(() => undefined);
      return closing;
    },
  };
  return product;
}
