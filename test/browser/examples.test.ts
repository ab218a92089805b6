import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeUnverified } from '@connect-jwt/core';
import {
  ALL_JS_URL,
  chromiumLaunchOptions,
  type HostPage,
  type HostPageLoad,
  routeAllJs,
  startHostPage,
} from '@connect-jwt/testing';
import { type Browser, type BrowserContext, chromium, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, type StartExample, startExampleWithProduct } from '../support/examples.js';

// The examples' iframe page, run for real: Chromium opens the fake Jira's page, which frames the
// add-on from another site; the page's own script gets a context token through the stand-in
// all.js and calls the add-on back, which calls the product. Screenshots go to test-artifacts/.
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));
const SETTLE_MS = 15_000;

let browser: Browser;
const cleanUps: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  browser = await chromium.launch(chromiumLaunchOptions());
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

async function startInstalled(start: StartExample) {
  const { product, addon } = await startExampleWithProduct(start, 'jira', cleanUps);
  expect((await product.install(addon.baseUrl)).status).toBe(204);
  const host = await startHostPage(product);
  cleanUps.push(() => host.close());
  return { product, addon, host };
}

interface OpenedPage {
  page: Page;
  frame: FrameLocator;
  /** Uncaught exceptions and unhandled rejections, in the host page or the add-on's frame. */
  errors: string[];
  /** Console messages at level error (failed loads included). */
  consoleErrors: string[];
  /** Every request to the add-on's API routes: the Authorization header and the answer's status. */
  apiCalls: { path: string; authorization: string | undefined; status: number }[];
  /** The documents loaded (the host page, the add-on's iframe): path, status and content type. */
  documents: { path: string; status: number; type: string }[];
}

async function open(
  host: HostPage,
  load: HostPageLoad = {},
  allJs: 'stand-in' | 'unreachable' = 'stand-in',
): Promise<OpenedPage> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  cleanUps.push(() => context.close());
  if (allJs === 'stand-in') await routeAllJs(context);
  else await context.route(ALL_JS_URL, (route) => route.abort('internetdisconnected'));
  const page = await context.newPage();
  const opened: OpenedPage = {
    page,
    frame: page.frameLocator('#addon-frame'),
    errors: [],
    consoleErrors: [],
    apiCalls: [],
    documents: [],
  };
  page.on('pageerror', (error) => opened.errors.push(`${error.name}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') opened.consoleErrors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'document') return;
    const type = response.headers()['content-type'] ?? '';
    opened.documents.push({ path: new URL(response.url()).pathname, status: response.status(), type });
  });
  page.on('requestfinished', async (request) => {
    const path = new URL(request.url()).pathname;
    if (!path.startsWith('/api/')) return;
    const response = await request.response();
    opened.apiCalls.push({
      path,
      authorization: (await request.allHeaders()).authorization,
      status: response?.status() ?? 0,
    });
  });
  await page.goto(host.pageUrl('/hello', load));
  return opened;
}

/**
 * Waits until the page's script has finished (`done`) or given up (`error`), and returns that with
 * the error the page shows, so a failing test prints what a user would have read.
 */
async function settled(frame: FrameLocator): Promise<{ state: string | null; error: string | null }> {
  await frame.locator('body[data-state="done"], body[data-state="error"]').waitFor({ timeout: SETTLE_MS });
  const error = frame.locator('#error');
  return {
    state: await frame.locator('body').getAttribute('data-state'),
    error: (await error.isVisible()) ? await error.textContent() : null,
  };
}

describe.each(EXAMPLES)('the %s example in a browser', (name, appKey, start) => {
  it('shows the signed-in account and both API answers, with no uncaught error', async () => {
    const { product, addon, host } = await startInstalled(start);
    const { page, frame, errors, consoleErrors, apiCalls } = await open(host);

    const outcome = await settled(frame);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-example.png`), fullPage: true });
    expect(outcome).toEqual({ state: 'done', error: null });
    expect(await frame.locator('#account').textContent()).toBe(product.accountId);

    // Framed from another site, and told so: xdm_e names the host page's origin.
    const addonFrame = page.frames().find((candidate) => candidate.url().startsWith(addon.baseUrl));
    expect(addonFrame).toBeDefined();
    expect(new URL(page.url()).origin).toBe(host.origin);
    expect(new URL(page.url()).hostname).not.toBe(new URL(addon.baseUrl).hostname);
    expect(new URL(addonFrame?.url() ?? '').searchParams.get('xdm_e')).toBe(host.origin);

    // getToken → /api/context 200 → /api/myself 200, each with a fresh context token from the host.
    const tokens = host.calls.filter((call) => call.method === 'context.getToken').map((call) => call.result);
    expect(tokens).toHaveLength(2);
    expect(apiCalls).toEqual([
      { path: '/api/context', authorization: `JWT ${tokens[0]}`, status: 200 },
      { path: '/api/myself', authorization: `JWT ${tokens[1]}`, status: 200 },
    ]);
    expect(decodeUnverified(String(tokens[0]))).toMatchObject({
      iss: product.clientKey,
      sub: product.accountId,
      qsh: 'context-qsh',
    });
    // The add-on called the product, signed as itself, and the product accepted it.
    expect(product.received).toEqual([
      expect.objectContaining({ method: 'GET', url: '/rest/api/3/myself', status: 200, appKey }),
    ]);

    // The answers read as facts, not as a cut-off blob of JSON.
    const context = frame.locator('#context');
    expect(await context.locator('.status').textContent()).toMatch(/^200\b/);
    expect(
      await context.locator('tr', { hasText: 'context › jira › issue › key' }).locator('td').last().textContent(),
    ).toBe('TEST-1');
    expect(
      await frame.locator('#product tr', { hasText: 'product › displayName' }).locator('td').last().textContent(),
    ).toBe('Example app');
    expect(await frame.locator('#error').isHidden()).toBe(true);

    expect(errors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('shows a refusal for a tampered iframe token, then keeps serving', async () => {
    const { host } = await startInstalled(start);
    const refused = await open(host, { iframeToken: 'tampered' });
    expect(refused.documents).toContainEqual({ path: '/hello', status: 401, type: 'text/html; charset=utf-8' });
    // A person reads the status, the code and what to do, not a JSON body.
    const alert = refused.frame.locator('main[role="alert"]');
    expect(await alert.locator('h1').textContent()).toBe('401 Unauthorized: this page could not be opened');
    expect(await alert.locator('code').textContent()).toBe('ERR_INVALID_SIGNATURE');
    expect(await alert.textContent()).toContain('Reload the page from the app in Jira or Confluence');
    await refused.page.screenshot({ path: join(ARTIFACTS, `${name}-refused.png`) });
    expect(refused.errors).toEqual([]);
    expect(host.calls).toEqual([]);

    const valid = await open(host);
    expect(await settled(valid.frame)).toEqual({ state: 'done', error: null });
    expect(valid.errors).toEqual([]);
  });

  it('says so in words when all.js cannot be loaded', async () => {
    const { host } = await startInstalled(start);
    const { frame, errors } = await open(host, {}, 'unreachable');
    expect(await settled(frame)).toEqual({
      state: 'error',
      error: expect.stringContaining("Could not load Atlassian's all.js"),
    });
    expect(errors).toEqual([]);
  });

  it('says so in words when getToken() is refused', async () => {
    const { host } = await startInstalled(start);
    const { frame, errors, apiCalls } = await open(host, { contextTokenError: 'your session has ended' });
    expect(await settled(frame)).toEqual({
      state: 'error',
      error: expect.stringMatching(/no context token \(your session has ended\)/),
    });
    expect(apiCalls).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('says so in words when opened outside the product, with no host to answer getToken()', async () => {
    const { product } = await startInstalled(start);
    const context = await browser.newContext();
    cleanUps.push(() => context.close());
    await routeAllJs(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The signed iframe URL opened as a top-level page: valid token, but no parent window to talk to.
    await page.goto(await product.iframeUrl('/hello'));
    const error = page.locator('#error');
    await page.locator('body[data-state="error"]').waitFor({ timeout: SETTLE_MS });
    expect(await error.textContent()).toMatch(/no context token \(all\.js: this page is not inside a product iframe/);
    expect(errors).toEqual([]);
  });
});
