// The licence table that Express, Koa and Fastify must answer alike: `req.atlassian.license` from a
// page load's qsh-covered `lic`, or a Forge Invocation Token's `app.license`, and requireLicense().
import { createJwt, MemoryStore, type SecretStore } from '@connect-jwt/core';
import { createFakeForge, type FakeForge } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeFixture } from './forge-suite.js';
import { INSTALLATION } from './installation.js';
import type { RunningServer } from './listen.js';

/**
 * Starts the licence table's add-on in one framework, on 127.0.0.1 port 0. Its routes, each
 * answering `{ license: <req.atlassian.license> ?? null }` as JSON:
 * - `GET /page`: `atlassianJwt({ store })` (strict qsh);
 * - `GET /licensed`: the same, then `requireLicense()`;
 * - `GET /context`: `atlassianJwt({ store, qsh: 'context' })`;
 * - `POST /forge/licensed`: `forgeRemote({ ...forge, store })`, then `requireLicense()`.
 */
export type LicenseApp = (fixture: ForgeFixture) => Promise<RunningServer>;

/** The JSON a route of the licence table answers. */
export function describeLicense(auth: unknown): { license: unknown } {
  return { license: (auth as { license?: unknown } | null | undefined)?.license ?? null };
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Registers the licence table against one framework's app. */
export function licenseSuite(name: string, start: LicenseApp): void {
  describe(`${name} adapter: the licence`, () => {
    let app: RunningServer;
    let forge: FakeForge;

    beforeAll(async () => {
      forge = await createFakeForge();
      const store: SecretStore = new MemoryStore();
      await store.set({ ...INSTALLATION, installationId: forge.installationId });
      app = await start({ forge: { appId: forge.appId, jwksUrl: forge.jwksUrl, maxTokenLength: 8192 }, store });
    });
    afterAll(async () => {
      await app?.close();
      await forge?.close();
    });

    /** A page load as the product signs it: the qsh covers `signed`, the request goes to `sent`. */
    const load = async (signed: string, options: { sent?: string; accept?: string; context?: boolean } = {}) => {
      const token = await createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, {
        uri: signed,
        context: options.context,
      });
      const sent = options.sent ?? signed;
      const response = await fetch(`${app.url}${sent}${sent.includes('?') ? '&' : '?'}jwt=${token}`, {
        headers: { accept: options.accept ?? 'application/json' },
      });
      return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
    };
    const json = (text: string) => JSON.parse(text) as { license?: unknown; code?: string };

    it.each([
      ['lic=active', '/page?lic=active&xdm_e=https%3A%2F%2Fsite.example', { active: true, source: 'lic' }],
      ['lic=none', '/page?lic=none', { active: false, source: 'lic' }],
      ['no lic (a free app)', '/page?xdm_e=https%3A%2F%2Fsite.example', null],
      ['two lic values (one typed into the descriptor URL)', '/page?lic=active&lic=none', { source: 'lic' }],
    ])('reads %s on a page load', async (_name, path, license) => {
      const answer = await load(path);
      expect(answer.status).toBe(200);
      expect(json(answer.text).license).toEqual(license);
    });

    it('refuses a tampered lic: the qsh covers it', async () => {
      const answer = await load('/page?lic=none', { sent: '/page?lic=active' });
      expect([answer.status, json(answer.text).code]).toEqual([401, 'ERR_QSH_MISMATCH']);
    });

    it('reads no lic on a context-qsh route, where the token does not cover the query', async () => {
      const answer = await load('/context?lic=active', { context: true });
      expect(answer.status).toBe(200);
      expect(json(answer.text).license).toBeNull();
    });

    it.each([
      ['lic=active', '/licensed?lic=active', 200],
      ['no lic', '/licensed', 200],
      ['two lic values', '/licensed?lic=none&lic=none', 200],
    ])('requireLicense() passes %s', async (_name, path, status) => {
      expect((await load(path)).status).toBe(status);
    });

    it('requireLicense() refuses lic=none with 402 and a code, as JSON to an API client', async () => {
      const answer = await load('/licensed?lic=none');
      expect(answer.status).toBe(402);
      expect(answer.type).toMatch(/^application\/json/);
      expect(json(answer.text)).toMatchObject({ code: 'ERR_LICENSE_INACTIVE' });
    });

    it("requireLicense() answers a person's browser with the refusal page", async () => {
      const answer = await load('/licensed?lic=none', { accept: BROWSER_ACCEPT });
      expect(answer.status).toBe(402);
      expect(answer.type).toBe('text/html; charset=utf-8');
      expect(answer.text).toMatch(/^<!doctype html>/);
      expect(answer.text).toContain('<code>ERR_LICENSE_INACTIVE</code>');
      expect(answer.text).toContain('needs a licence');
    });

    it.each([
      ['active', { active: true, isEvaluation: true }, 200, { active: true, source: 'fit', evaluation: true }],
      ['the deprecated isActive only', { isActive: true }, 200, { active: true, source: 'fit' }],
      ['an inactive licence', { active: false, isActive: true }, 402, undefined],
      ['no licence (a free app, or not production)', undefined, 200, null],
    ])('reads a Forge token with %s', async (_name, license, status, expected) => {
      const headers = forge.headers({ claims: { app: { license } } });
      const response = await fetch(`${app.url}/forge/licensed`, { method: 'POST', headers });
      const body = (await response.json()) as { license?: unknown; code?: string };
      expect(response.status).toBe(status);
      if (status === 402) expect(body.code).toBe('ERR_LICENSE_INACTIVE');
      else expect(body.license).toEqual(expected);
    });
  });
}
