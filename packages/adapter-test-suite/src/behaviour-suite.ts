import { getDefaultStore, MemoryStore, setDefaultStore } from '@connect-jwt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, cases, type Fixture, REALM } from './behaviour-cases.js';
import { INSTALLATION } from './installation.js';
import type { RunningServer } from './listen.js';
import { FlakyStore } from './stores.js';

/**
 * Starts the behaviour table's add-on in one framework, on 127.0.0.1 port 0. Its routes:
 * `/public` (no guard), `/api/data` GET and POST (guarded, realm REALM), `/panel` (qsh context),
 * `/skip` (qsh skip), `/flaky` (store `fixture.flaky`), `/passerror` (passError, the app's own
 * error handler answers `{ code }` with `x-handled-by: app`) and `/addon/data` (a sub-router
 * whose baseUrl is ADDON_BASE_URL). Guarded routes answer `{ clientKey, accountId }`.
 */
export type BehaviourApp = (fixture: Fixture) => Promise<RunningServer>;

/** Registers the behaviour table against one framework's app: every adapter answers every row alike. */
export function behaviourSuite(name: string, start: BehaviourApp): void {
  describe(`${name} adapter: behaviour table`, () => {
    behaviourTable(start);
  });
}

function behaviourTable(start: BehaviourApp): void {
  let app: RunningServer;
  let fixture: Fixture;

  beforeAll(async () => {
    setDefaultStore(new MemoryStore());
    await getDefaultStore().set(INSTALLATION);
    fixture = { flaky: new FlakyStore(getDefaultStore()) };
    app = await start(fixture);
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_caseName, testCase: Case) => {
    for (const step of testCase.steps) {
      step.before?.(fixture);
      const request = await step.request();
      const response = await fetch(`${app.url}${request.path}`, {
        method: request.method ?? 'GET',
        headers: request.headers ?? {},
      });
      const text = await response.text();
      expect(response.status).toBe(step.status);
      // Nothing secret goes back: not the shared secret, not the token or any of its parts.
      expect(text).not.toContain(INSTALLATION.sharedSecret);
      for (const part of tokenParts(request)) expect(text).not.toContain(part);

      if (step.status === 431) continue;
      if (step.page) {
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(response.headers.get('vary')).toBe('Accept');
        expect(response.headers.get('www-authenticate')).toBe(`JWT realm="${REALM}"`);
        expect(text).toMatch(/^<!doctype html>/);
        expect(text).toContain(`<code>${step.code}</code>`);
        expect(text).toContain(`${step.status} `);
        continue;
      }
      const body = JSON.parse(text);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      if (step.status === 200) {
        expect(body.clientKey).toBe(step.publicRoute ? null : INSTALLATION.clientKey);
        if (!step.publicRoute) expect(body.accountId).toBe('account-42');
        continue;
      }
      expect(body.code).toBe(step.code);
      if (step.handledByApp) {
        expect(response.headers.get('x-handled-by')).toBe('app');
        continue;
      }
      expect(response.headers.get('x-handled-by')).toBeNull();
      expect(typeof body.message).toBe('string');
      if (step.status === 401) {
        const challenge = response.headers.get('www-authenticate');
        expect(challenge).toMatch(/^JWT realm="[^"]+"$/);
        if (request.path.startsWith('/api/')) expect(challenge).toBe(`JWT realm="${REALM}"`);
      }
      if (step.status === 503) expect(response.headers.get('retry-after')).not.toBeNull();
    }
  });
}

function tokenParts(request: { path: string; headers?: Record<string, string> }): string[] {
  const tokens = [
    request.headers?.authorization?.replace(/^\S+\s+/, ''),
    new URL(request.path, 'http://x').searchParams.get('jwt'),
  ];
  return tokens.flatMap((token) => (token ? [token, ...token.split('.').filter((part) => part.length > 8)] : []));
}
