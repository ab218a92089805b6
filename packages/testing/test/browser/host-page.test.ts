import {
  chromiumLaunchOptions,
  createFakeProduct,
  type FakeProduct,
  type HostPage,
  type HostPageLoad,
  routeAllJs,
  startHostPage,
} from '@connect-jwt/testing';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMinimalAddon } from '../helpers/minimal-addon.js';

// The stand-in all.js and the host page's bridge, in Chromium: what an add-on's script gets
// from AP, driven from inside the add-on's cross-site frame.
let browser: Browser;
let product: FakeProduct;
let addon: Awaited<ReturnType<typeof startMinimalAddon>>;
let host: HostPage;
const bodies: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch(chromiumLaunchOptions());
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await host?.close();
  await addon?.close();
  await product?.close();
  bodies.length = 0;
});

/** Opens a host page for `/page` and returns the add-on's frame once its all.js has loaded. */
async function openFrame(load: HostPageLoad = {}): Promise<{ page: Page; frame: Frame; errors: string[] }> {
  product = await createFakeProduct({ productType: 'jira' });
  addon = await startMinimalAddon({ keyServerUrl: product.keyServerUrl });
  await product.install(addon.baseUrl);
  host = await startHostPage(product);
  const context = await browser.newContext();
  await routeAllJs(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Everything the browser was sent, to show the shared secret is never among it.
  page.on('response', async (response) => {
    bodies.push(await response.text().catch(() => ''));
  });
  await page.goto(host.pageUrl('/page', load));
  const frame = page.frames().find((candidate) => candidate.url().startsWith(addon.baseUrl));
  if (frame === undefined) throw new Error('the add-on is not framed');
  return { page, frame, errors };
}

describe('the stand-in all.js in a host page', () => {
  it('gives the page context tokens the add-on accepts, never the shared secret', async () => {
    const { frame, errors } = await openFrame();
    const token = await frame.evaluate('AP.context.getToken()');
    expect(typeof token).toBe('string');
    const answer = await frame.evaluate(
      `fetch('/anything', { headers: { Authorization: 'JWT ' + ${JSON.stringify(token)} } }).then((r) => r.json())`,
    );
    expect(answer).toMatchObject({ payload: { iss: product.clientKey, qsh: 'context-qsh', sub: product.accountId } });
    // The callback form works too.
    expect(await frame.evaluate('new Promise((resolve) => AP.context.getToken(resolve))')).toMatch(/^ey/);
    expect(bodies.some((body) => body.includes(product.sharedSecret))).toBe(false);
    expect(errors).toEqual([]);
  });

  it('answers getContext and AP.request for the signed-in user', async () => {
    const { frame } = await openFrame();
    expect(await frame.evaluate('AP.context.getContext()')).toEqual(product.context);
    const myself = await frame.evaluate(`AP.request('/rest/api/3/myself').then((answer) => JSON.parse(answer.body))`);
    expect(myself).toMatchObject({ accountId: product.accountId, accountType: 'atlassian' });
    const refused = await frame.evaluate(
      `AP.request({ url: '/rest/api/3/nothing' }).catch((error) => error.xhr.status)`,
    );
    expect(refused).toBe(404);
  });

  it('resizes the iframe, to the page by default and as asked', async () => {
    const { page, frame } = await openFrame();
    const iframe = page.locator('#addon-frame');
    // The default auto-resize reports the page's height: the tiny page ends up far below 200 px.
    await expect.poll(async () => (await iframe.boundingBox())?.height).toBeLessThan(100);
    await frame.evaluate(`AP.resize('320px', 480)`);
    await expect.poll(async () => (await iframe.boundingBox())?.width).toBe(320);
    expect((await iframe.boundingBox())?.height).toBe(480);
    expect(host.calls).toContainEqual({ method: 'resize', args: ['320px', '480px'], result: null });
  });

  it('rejects getToken with the product message when the product will not mint one', async () => {
    const { frame, errors } = await openFrame({ contextTokenError: 'your session has ended' });
    expect(await frame.evaluate(`AP.context.getToken().catch((error) => error.message)`)).toBe(
      'your session has ended',
    );
    expect(errors).toEqual([]);
  });

  it('ignores AP answers from any window but the host page', async () => {
    const { frame } = await openFrame();
    // A forged reply posted by the frame itself (not the parent, not the host origin) settles nothing.
    const outcome = await frame.evaluate(`(async () => {
      const token = AP.context.getToken();
      window.postMessage({ type: 'connect-jwt:ap-reply', channel: new URLSearchParams(location.search).get('xdm_c'), id: 1, result: 'forged' }, '*');
      return token;
    })()`);
    expect(outcome).not.toBe('forged');
    expect(outcome).toMatch(/^ey/);
  });
});
