import { decodeUnverified } from '@connect-jwt/core';
import {
  createFakeProduct,
  type FakeProduct,
  type HostPage,
  STAND_IN_ALL_JS,
  startHostPage,
} from '@connect-jwt/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startMinimalAddon } from './helpers/minimal-addon.js';

// The host page's server side over plain HTTP; test/browser/ runs it in Chromium.
let product: FakeProduct;
let addon: Awaited<ReturnType<typeof startMinimalAddon>>;
let host: HostPage | undefined;

async function setUp(productType: 'jira' | 'confluence' = 'jira') {
  product = await createFakeProduct({ productType });
  addon = await startMinimalAddon({ keyServerUrl: product.keyServerUrl });
  await product.install(addon.baseUrl);
  host = await startHostPage(product);
  return host;
}

afterEach(async () => {
  await host?.close();
  host = undefined;
  await addon?.close();
  await product?.close();
});

/** The iframe URL a host page load framed, read from the page as a browser would. */
async function framedUrl(pageUrl: string): Promise<URL> {
  const html = await (await fetch(pageUrl.replace('localhost', '127.0.0.1'))).text();
  const src = /<iframe id="addon-frame"[^>]* src="([^"]+)"/.exec(html)?.[1];
  if (src === undefined) throw new Error('the host page frames nothing');
  return new URL(src.replaceAll('&amp;', '&'));
}

/** Calls the page's bridge as its script does. */
async function bridge(page: HostPage, pageUrl: string, method: string, args: unknown[] = [], origin = page.origin) {
  const response = await fetch(pageUrl.replace('localhost', '127.0.0.1').replace('/page/', '/bridge/'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ method, args }),
  });
  return { status: response.status, answer: response.status === 200 ? await response.json() : await response.text() };
}

describe('startHostPage', () => {
  it('refuses an origin that is not an http(s) origin, at setup', async () => {
    product = await createFakeProduct();
    await expect(startHostPage(product, { origin: 'http://localhost:3000/jira' })).rejects.toThrow(/origin/);
  });

  it('frames a signed iframe URL from another site, with xdm_e naming the page', async () => {
    const page = await setUp();
    expect(new URL(page.origin).hostname).toBe('localhost');
    const url = await framedUrl(page.pageUrl('/page', { moduleKey: 'panel' }));
    expect(url.origin).toBe(addon.baseUrl);
    expect(url.searchParams.get('xdm_e')).toBe(page.origin);
    expect(url.searchParams.get('xdm_c')).toMatch(/__panel$/);
    // Every load mints its own token, and the add-on accepts it.
    const again = await framedUrl(page.pageUrl('/page'));
    expect(again.searchParams.get('jwt')).not.toBe(url.searchParams.get('jwt'));
    expect((await fetch(url)).status).toBe(200);
  });

  it('announces the origin it is given', async () => {
    product = await createFakeProduct();
    addon = await startMinimalAddon({ keyServerUrl: product.keyServerUrl });
    await product.install(addon.baseUrl);
    host = await startHostPage(product, { origin: 'https://example.atlassian.net' });
    expect(host.origin).toBe('https://example.atlassian.net');
    expect(host.pageUrl('/page')).toMatch(/^https:\/\/example\.atlassian\.net\/page\//);
  });

  it('frames a tampered or expired token on request, which the add-on refuses', async () => {
    const page = await setUp();
    expect((await fetch(await framedUrl(page.pageUrl('/page', { iframeToken: 'tampered' })))).status).toBe(401);
    expect((await fetch(await framedUrl(page.pageUrl('/page', { iframeToken: 'expired' })))).status).toBe(401);
  });

  it('mints context tokens for the page server-side, which the add-on accepts', async () => {
    const page = await setUp();
    const pageUrl = page.pageUrl('/page');
    const { answer } = await bridge(page, pageUrl, 'context.getToken');
    const token = (answer as { result: string }).result;
    expect(decodeUnverified(token)).toMatchObject({ iss: product.clientKey, qsh: 'context-qsh' });
    expect(JSON.stringify(answer)).not.toContain(product.sharedSecret);
    const response = await fetch(`${addon.baseUrl}/anything`, { headers: { authorization: `JWT ${token}` } });
    expect(response.status).toBe(200);
    expect(page.calls).toEqual([{ method: 'context.getToken', args: [], result: token }]);
  });

  it('answers getContext, resize and AP.request through the fake product', async () => {
    const page = await setUp('confluence');
    const pageUrl = page.pageUrl('/page');
    expect((await bridge(page, pageUrl, 'context.getContext')).answer).toEqual({ result: product.context });
    expect((await bridge(page, pageUrl, 'resize', ['100%', '400px'])).answer).toEqual({ result: null });
    const found = await bridge(page, pageUrl, 'request', [{ url: '/rest/api/user/current', type: 'GET' }]);
    expect(JSON.parse((found.answer as { result: { body: string } }).result.body)).toMatchObject({
      accountId: product.accountId,
      accountType: 'atlassian',
    });
    const missing = await bridge(page, pageUrl, 'request', [{ url: '/rest/api/nothing' }]);
    expect(missing.answer).toMatchObject({ error: { xhr: { status: 404 } } });
    // The user's own calls are not the add-on's: the product lists only the latter.
    expect(product.received).toEqual([]);
  });

  it('rejects getToken when told to, and unknown AP calls', async () => {
    const page = await setUp();
    const pageUrl = page.pageUrl('/page', { contextTokenError: 'session ended' });
    expect((await bridge(page, pageUrl, 'context.getToken')).answer).toEqual({ error: { message: 'session ended' } });
    expect((await bridge(page, pageUrl, 'dialog.create')).answer).toMatchObject({
      error: { message: expect.stringContaining('AP.dialog.create') },
    });
  });

  it('takes AP calls only from its own pages', async () => {
    const page = await setUp();
    const pageUrl = page.pageUrl('/page');
    expect((await bridge(page, pageUrl, 'context.getToken', [], 'http://attacker.example')).status).toBe(403);
    const unknown = `${page.origin}/page/00000000-0000-4000-8000-000000000000`;
    expect((await bridge(page, unknown, 'context.getToken')).status).toBe(404);
    expect(page.calls).toEqual([]);
  });

  it('serves the stand-in all.js where older add-ons load it from the site', async () => {
    const page = await setUp();
    const response = await fetch(`${page.origin.replace('localhost', '127.0.0.1')}/atlassian-connect/all.js`);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(await response.text()).toBe(STAND_IN_ALL_JS);
  });
});
