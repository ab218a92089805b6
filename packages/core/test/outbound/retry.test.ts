import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forgeFetch, productFetch, type RetryEvent, type RetryOptions } from '@connect-jwt/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRetryAfter } from '../../src/outbound/retry.js';
import { APP_KEY, type InstalledProduct, installedProduct } from '../support/installed-product.js';

// No test waits for a Retry-After: `sleep` moves a fake clock (Date only; timers stay real) by
// the wait instead, so the product, which reads the same clock, sees that time pass.
let site: InstalledProduct;
/** Tokens that live 10 s: a 6 s wait outlasts the cached one (kept until 5 s before its end). */
let shortTokens: InstalledProduct;
beforeAll(async () => {
  [site, shortTokens] = await Promise.all([installedProduct(), installedProduct({ userTokenLifetime: 10 })]);
});
afterAll(async () => {
  await Promise.all([site.close(), shortTokens.close()]);
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now());
});
afterEach(() => {
  vi.useRealTimers();
});

interface Recorded {
  waits: number[];
  events: RetryEvent[];
  retry: RetryOptions;
}

function recorded(extra: RetryOptions = {}): Recorded {
  const waits: number[] = [];
  const events: RetryEvent[] = [];
  return {
    waits,
    events,
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
        vi.setSystemTime(Date.now() + ms);
      },
      onRetry: (event) => events.push(event),
      ...extra,
    },
  };
}

const call = (retry: RetryOptions | false, init: RequestInit = {}, path = '/rest/api/3/myself') =>
  productFetch(site.installation, { appKey: APP_KEY, retry }, path, init);
const since = (count: number) => site.product.received.slice(count);

describe('productFetch under rate limits', () => {
  it('waits Retry-After seconds and sends again, each attempt with a JWT of its own', async () => {
    const { waits, events, retry } = recorded();
    site.product.rateLimit({
      retryAfter: 2,
      times: 2,
      headers: { 'Beta-RateLimit': '"tenant-app-quota";r=0;t=2', 'X-Beta-RateLimit-NearLimit': 'true' },
    });
    const before = site.product.received.length;
    const response = await call(retry);
    expect(response.status).toBe(200);
    expect(waits).toEqual([2000, 2000]);
    const calls = since(before);
    expect(calls.map((c) => [c.status, c.auth])).toEqual([
      [429, 'jwt'],
      [429, 'jwt'],
      [200, 'jwt'],
    ]);
    // Every attempt was verified by the product (qsh included), and each was signed after its wait.
    expect(new Set(calls.map((c) => c.issuedAt)).size).toBe(3);
    expect(events.map((e) => [e.attempt, e.waitMs, e.status, e.retryAfter, e.rateLimitReason])).toEqual([
      [1, 2000, 429, '2', 'jira-quota-tenant-based'],
      [2, 2000, 429, '2', 'jira-quota-tenant-based'],
    ]);
    expect(events[0]?.quota).toEqual({
      'beta-ratelimit': '"tenant-app-quota";r=0;t=2',
      'x-beta-ratelimit-nearlimit': 'true',
    });
  });

  it('takes Retry-After as an HTTP date', async () => {
    const { waits, retry } = recorded();
    site.product.rateLimit({ retryAfter: new Date(Date.now() + 5000).toUTCString() });
    expect((await call(retry)).status).toBe(200);
    expect(waits).toHaveLength(1);
    // An HTTP date has whole seconds.
    expect(waits[0]).toBeGreaterThan(4000);
    expect(waits[0]).toBeLessThanOrEqual(5000);
  });

  it('without Retry-After, backs off exponentially with full jitter', async () => {
    const { waits, retry } = recorded();
    site.product.rateLimit({ retryAfter: null, times: 4 });
    expect((await call(retry)).status).toBe(200);
    expect(waits).toHaveLength(4);
    waits.forEach((wait, index) => {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(1000 * 2 ** index);
    });
  });

  it('hands back at once a Retry-After longer than the longest wait, and stops at the total budget', async () => {
    const huge = recorded();
    site.product.rateLimit({ retryAfter: 3600 });
    let before = site.product.received.length;
    const refused = await call(huge.retry);
    // The answer as fetch would give it: status, headers, a readable body.
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(await refused.json()).toMatchObject({ code: 429 });
    expect(huge.waits).toEqual([]);
    expect(since(before)).toHaveLength(1);

    const budget = recorded();
    site.product.rateLimit({ retryAfter: 25, times: 3 });
    before = site.product.received.length;
    expect((await call(budget.retry)).status).toBe(429);
    // 25 + 25 s waited; a third 25 s would pass the 60 s budget.
    expect(budget.waits).toEqual([25_000, 25_000]);
    expect(since(before)).toHaveLength(3);
  });

  it('retries 4 times at most, then returns the last answer', async () => {
    const { waits, retry } = recorded();
    site.product.rateLimit({ retryAfter: 0, times: 6 });
    const before = site.product.received.length;
    expect((await call(retry)).status).toBe(429);
    expect(waits).toEqual([0, 0, 0, 0]);
    expect(since(before)).toHaveLength(5);
    site.product.rateLimit({ retryAfter: 0, times: 2 });
    expect((await call({ ...retry, retries: 1 })).status).toBe(429);
    // The one scripted answer left goes to this call.
    expect((await call(retry)).status).toBe(200);
  });

  it('retries a 503 with Retry-After, not one without', async () => {
    const { waits, retry } = recorded();
    site.product.rateLimit({ status: 503, retryAfter: 3 });
    expect((await call(retry)).status).toBe(200);
    expect(waits).toEqual([3000]);
    site.product.rateLimit({ status: 503, retryAfter: null });
    expect((await call(retry)).status).toBe(503);
    expect(waits).toEqual([3000]);
  });

  it('retries idempotent methods only, unless retry.methods names more; retry: false never', async () => {
    const { waits, retry } = recorded();
    const post = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
    site.product.rateLimit({ retryAfter: 1 });
    expect((await call(retry, post, '/rest/api/3/issue')).status).toBe(429);
    site.product.rateLimit({ retryAfter: 1 });
    expect((await call({ ...retry, methods: ['post'] }, post, '/rest/api/3/issue')).status).toBe(404);
    site.product.rateLimit({ retryAfter: 1 });
    expect((await call(retry, { method: 'PUT', body: '{}' }, '/rest/api/3/issue/1')).status).toBe(404);
    expect(waits).toEqual([1000, 1000]);
    site.product.rateLimit({ retryAfter: 1 });
    expect((await call(false)).status).toBe(429);
    expect(waits).toEqual([1000, 1000]);
  });

  it('init.signal aborts a wait at once', async () => {
    vi.useRealTimers();
    site.product.rateLimit({ retryAfter: 20 });
    const controller = new AbortController();
    const before = site.product.received.length;
    const pending = call(
      { onRetry: () => setTimeout(() => controller.abort(new Error('the user left')), 10) },
      { signal: controller.signal },
    );
    await expect(pending).rejects.toThrow('the user left');
    expect(since(before)).toHaveLength(1);
  });

  it('a bad retry option is a TypeError naming it', async () => {
    await expect(call({ retries: -1 })).rejects.toThrow('productFetch: retry.retries must be a non-negative integer');
    await expect(call({ methods: 'POST' as unknown as string[] })).rejects.toThrow(/retry\.methods/);
    await expect(call('yes' as unknown as false)).rejects.toThrow(/retry must be an object or false/);
  });

  it('as a user, asks for a new Bearer token when the wait outlasted the cached one', async () => {
    const { waits, retry } = recorded();
    const { product, installation } = shortTokens;
    const accountId = `5b10ac8d82e05b22cc7d4ef5${Date.now().toString(16).slice(-8)}`;
    const options = {
      appKey: APP_KEY,
      as: { accountId },
      authorizationServerUrl: product.authorizationServerUrl,
      retry,
    };
    expect((await productFetch(installation, options, '/rest/api/3/myself')).status).toBe(200);
    product.rateLimit({ retryAfter: 6 });
    const before = { calls: product.received.length, tokens: product.tokenRequests.length };
    const response = await productFetch(installation, options, '/rest/api/3/myself');
    expect(await response.json()).toMatchObject({ accountId });
    expect(waits).toEqual([6000]);
    expect(product.received.slice(before.calls).map((c) => [c.status, c.auth, c.accountId])).toEqual([
      [429, 'bearer', accountId],
      [200, 'bearer', accountId],
    ]);
    expect(product.tokenRequests.length - before.tokens).toBe(1);
  });
});

describe('forgeFetch under rate limits', () => {
  let answers: number[] = [];
  const seen: IncomingHttpHeaders[] = [];
  const api = createServer((req, res) => {
    seen.push(req.headers);
    const status = answers.shift() ?? 200;
    res.writeHead(status, status === 200 ? {} : { 'retry-after': '1', 'ratelimit-reason': 'jira-burst-based' });
    res.end(JSON.stringify({ status }));
  });
  let auth: { apiBaseUrl: string; systemToken: string };
  beforeAll(async () => {
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
    auth = {
      apiBaseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}/ex/jira/cloud-1`,
      systemToken: 'system-token',
    };
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  it('retries a 429 with the Bearer token, within the same policy', async () => {
    const { waits, events, retry } = recorded();
    answers = [429, 429];
    seen.length = 0;
    const response = await forgeFetch(auth, '/rest/api/3/myself', { retry });
    expect(response.status).toBe(200);
    expect(waits).toEqual([1000, 1000]);
    expect(events.map((e) => e.rateLimitReason)).toEqual(['jira-burst-based', 'jira-burst-based']);
    expect(seen.map((h) => h.authorization)).toEqual(Array(3).fill('Bearer system-token'));
    answers = [429];
    expect((await forgeFetch(auth, '/rest/api/3/issue', { method: 'POST', body: '{}', retry })).status).toBe(429);
    answers = [429];
    expect((await forgeFetch(auth, '/rest/api/3/myself', { retry: false })).status).toBe(429);
    expect(waits).toHaveLength(2);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
  it.each<[string, number | undefined]>([
    ['0', 0],
    ['7', 7000],
    [' 12 ', 12_000],
    ['Wed, 21 Oct 2026 07:28:30 GMT', 30_000],
    ['Wed, 21 Oct 2026 07:27:00 GMT', 0],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
  ])('%j → %j ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});
