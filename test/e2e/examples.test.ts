import type { InstallForgery } from '@connect-jwt/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLES, type StartExample, startExampleWithProduct } from '../support/examples.js';

// The three examples are driven by the same script over real HTTP: what one accepts or refuses,
// all must, since they share the core and differ only in their framework glue.
const cleanUps: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

function startWith(start: StartExample, productType: 'jira' | 'confluence') {
  return startExampleWithProduct(start, productType, cleanUps);
}

async function refusal(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { code: string }).code];
}

describe.each(EXAMPLES)('the %s example add-on', (_name, appKey, start) => {
  it('Connect on Forge: the trigger endpoint takes Forge Invocation Tokens, /api/context both kinds', async () => {
    const { product, addon, forge } = await startExampleWithProduct(start, 'jira', cleanUps, true);
    if (!forge) throw new Error('the fake Forge did not start');
    // An adopted app's `installed` carries the Forge installationId beside the clientKey.
    expect((await product.install(addon.baseUrl, { payload: { installationId: forge.installationId } })).status).toBe(
      204,
    );

    const trigger = await fetch(`${addon.baseUrl}/forge/events`, {
      method: 'POST',
      headers: { ...forge.headers({ principal: null }), 'content-type': 'application/json' },
      body: JSON.stringify({ eventType: 'avi:jira:created:issue', issue: { key: 'TEST-1' } }),
      redirect: 'manual',
    });
    expect(trigger.status).toBe(200);
    expect(await trigger.json()).toEqual({
      event: 'avi:jira:created:issue',
      installationId: forge.installationId,
      clientKey: product.clientKey,
      environment: 'DEVELOPMENT',
    });

    const fromForgeUi = await fetch(`${addon.baseUrl}/api/context`, { headers: forge.headers() });
    expect(fromForgeUi.status).toBe(200);
    expect(await fromForgeUi.json()).toMatchObject({ kind: 'forge', clientKey: product.clientKey });
    const fromIframe = await product.request('/api/context', { token: await product.contextToken() });
    expect(await fromIframe.json()).toMatchObject({ kind: 'connect', clientKey: product.clientKey });

    const otherApp = forge.headers({
      claims: { aud: 'ari:cloud:ecosystem::app/11111111-2222-4333-8444-555555555555' },
    });
    const refused = await fetch(`${addon.baseUrl}/forge/events`, {
      method: 'POST',
      headers: otherApp,
      redirect: 'manual',
    });
    expect(await refusal(refused)).toEqual([401, 'ERR_INVALID_AUDIENCE']);
    const connectOnForgeRoute = await product.request('/forge/events', {
      method: 'POST',
      token: await product.contextToken(),
    });
    expect(await refusal(connectOnForgeRoute)).toEqual([401, 'ERR_TOKEN_MISSING']);
  });

  it('serves its descriptor with the base URL it listens on', async () => {
    const { addon } = await startWith(start, 'jira');
    expect(addon.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${addon.baseUrl}/atlassian-connect.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      key: appKey,
      baseUrl: addon.baseUrl,
      authentication: { type: 'jwt' },
      lifecycle: { installed: '/installed', uninstalled: '/uninstalled' },
      apiMigrations: { 'signed-install': true, 'context-qsh': true },
      modules: {
        generalPages: [expect.objectContaining({ url: '/hello' })],
        webhooks: [{ event: 'jira:issue_created', url: '/webhooks/issue-created' }],
      },
    });
  });

  it('runs the whole flow: install, iframe, context call, webhook, outbound call, uninstall', async () => {
    const { product, addon, store } = await startWith(start, 'jira');

    const installed = await product.install(addon.baseUrl);
    expect(installed.status).toBe(204);
    expect(await store.get(product.clientKey)).toMatchObject({
      sharedSecret: product.sharedSecret,
      baseUrl: product.baseUrl,
      key: appKey,
    });

    const page = await product.loadIframe('/hello');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('all.js');
    expect(html).toContain('AP.context.getToken');
    expect(html).toContain(product.accountId);

    const context = await product.request('/api/context', { token: await product.contextToken() });
    expect(context.status).toBe(200);
    expect(await context.json()).toMatchObject({
      clientKey: product.clientKey,
      accountId: product.accountId,
      context: { jira: { issue: { key: 'TEST-1' } } },
    });

    // connectWebhooks: Jira's retry of a handled delivery is absorbed, the handler ran once.
    const [webhook, retry] = await product.webhookTwice('/webhooks/issue-created', 'jira:issue_created', 'retry');
    expect([webhook.status, retry.status]).toEqual([204, 204]);
    const handled = await product.request('/api/webhooks', { token: await product.contextToken() });
    expect(await handled.json()).toEqual({
      handled: [{ event: 'jira:issue_created', issueKey: 'TEST-1', identifier: expect.any(String), retry: 0 }],
    });

    const outbound = await product.request('/api/myself', { token: await product.contextToken() });
    expect(outbound.status).toBe(200);
    expect(await outbound.json()).toMatchObject({ productStatus: 200, product: { accountType: 'app' } });
    expect(product.received).toEqual([
      expect.objectContaining({ method: 'GET', url: '/rest/api/3/myself', status: 200, appKey }),
    ]);

    const uninstalled = await product.uninstall();
    expect(uninstalled.status).toBe(204);
    expect(await store.get(product.clientKey)).toBeUndefined();
    expect(await refusal(await product.loadIframe('/hello'))).toEqual([401, 'ERR_INVALID_ISSUER']);
  });

  it('calls the product as the signed-in user (ACT_AS_USER), for Jira and Confluence', async () => {
    for (const productType of ['jira', 'confluence'] as const) {
      const { product, addon } = await startWith(start, productType);
      expect((await product.install(addon.baseUrl)).status).toBe(204);
      const asUser = await product.request('/api/myself-as-user', { token: await product.contextToken() });
      expect(asUser.status).toBe(200);
      expect(await asUser.json()).toMatchObject({ productStatus: 200, product: { accountId: product.accountId } });
      expect(product.received).toEqual([expect.objectContaining({ auth: 'bearer', accountId: product.accountId })]);
      expect(product.tokenRequests).toEqual([expect.objectContaining({ status: 200, accountId: product.accountId })]);
    }
  });

  it('signs its outbound call for Confluence below /wiki', async () => {
    const { product, addon } = await startWith(start, 'confluence');
    expect((await product.install(addon.baseUrl)).status).toBe(204);
    const outbound = await product.request('/api/myself', { token: await product.contextToken() });
    expect(await outbound.json()).toMatchObject({ productStatus: 200, product: { type: 'app' } });
    expect(product.received).toEqual([
      expect.objectContaining({ url: '/wiki/rest/api/user/current', status: 200, appKey }),
    ]);
  });

  it.each<InstallForgery>(['unsigned', 'hs256', 'wrong-audience', 'unpublished-key', 'expired'])(
    'refuses a %s install and keeps the stored secret',
    async (forgery) => {
      const { product, addon, store } = await startWith(start, 'jira');
      await product.install(addon.baseUrl);
      const secret = product.sharedSecret;
      expect(await refusal(await product.install(addon.baseUrl, { forgery }))).toEqual([401, 'ERR_INVALID_INSTALL']);
      expect((await store.get(product.clientKey))?.sharedSecret).toBe(secret);
      expect((await product.loadIframe('/hello')).status).toBe(200);
    },
  );

  it('refuses a forged uninstall and keeps the installation', async () => {
    const { product, addon, store } = await startWith(start, 'jira');
    await product.install(addon.baseUrl);
    expect(await refusal(await product.uninstall({ forgery: 'hs256' }))).toEqual([401, 'ERR_INVALID_INSTALL']);
    expect(await store.get(product.clientKey)).toBeDefined();
  });

  it('shows a person a refusal page for a refused page load, and keeps JSON for API clients', async () => {
    const { product, addon } = await startWith(start, 'jira');
    await product.install(addon.baseUrl);
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const token = await product.tamperedToken({ url: '/hello' });
    const page = await product.request('/hello', { token, headers: { accept: browser } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('www-authenticate')).toMatch(/^JWT realm=/);
    const html = await page.text();
    expect(html).toContain('401 Unauthorized');
    expect(html).toContain('<code>ERR_INVALID_SIGNATURE</code>');
    expect(html).toContain('Reload the page from the app in Jira or Confluence');

    const api = await product.request('/api/context', { token: null, headers: { accept: 'application/json' } });
    expect(api.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await refusal(api)).toEqual([401, 'ERR_TOKEN_MISSING']);
  });

  it('refuses bad tokens with the right codes', async () => {
    const { product, addon } = await startWith(start, 'jira');
    await product.install(addon.baseUrl);
    const cases: [string, Promise<Response>, [number, string]][] = [
      ['no token', product.request('/hello', { token: null }), [401, 'ERR_TOKEN_MISSING']],
      [
        'expired',
        product.request('/hello', { token: await product.expiredToken({ url: '/hello' }) }),
        [401, 'ERR_TOKEN_EXPIRED'],
      ],
      [
        'tampered',
        product.request('/hello', { token: await product.tamperedToken({ url: '/hello' }) }),
        [401, 'ERR_INVALID_SIGNATURE'],
      ],
      [
        'other qsh',
        product.request('/hello', { token: await product.hostToken({ url: '/hello?x=1' }) }),
        [401, 'ERR_QSH_MISMATCH'],
      ],
      [
        'context token on a page',
        product.request('/hello', { token: await product.contextToken() }),
        [401, 'ERR_QSH_MISMATCH'],
      ],
      ['host token on a context route', product.request('/api/context'), [401, 'ERR_QSH_MISMATCH']],
      [
        'expired context token',
        product.request('/api/context', { token: await product.contextToken({ now: Date.now() - 3_600_000 }) }),
        [401, 'ERR_TOKEN_EXPIRED'],
      ],
      [
        'webhook for another path',
        product.webhook('/webhooks/issue-created', 'jira:issue_created', {
          token: await product.hostToken({ method: 'POST', url: '/webhooks/other' }),
        }),
        [401, 'ERR_QSH_MISMATCH'],
      ],
    ];
    for (const [label, response, expected] of cases) {
      expect([label, ...(await refusal(await response))]).toEqual([label, ...expected]);
    }
    expect(product.received).toEqual([]);
  });
});
