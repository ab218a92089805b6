// docs/migrating-from-ace.md, step 4, with atlassian-connect-express's own code running: ACE and
// connect-jwt in one Express app. ACE adds a route for every descriptor webhook (and the descriptor)
// on the tick after ace(app); a connect-jwt route declared after that is never reached. And ACE's
// session tokens, which pages still send during the switch, pass a connect-jwt route only opted in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { listen, type RunningServer } from '@connect-jwt/adapter-test-suite';
import { createJwt, MemoryStore } from '@connect-jwt/core';
import { atlassianJwt } from '@connect-jwt/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AceAddon, mountAce } from '../../packages/ace-import/test/support/ace-app.js';
import { installBody } from '../../packages/ace-import/test/support/ace-stores.js';
import { main } from '../../packages/core/src/cli/main.js';

const APP_KEY = 'my-app'; // installBody's `key`, as the product sends it
const WEBHOOK = '/webhooks/issue-created';
const descriptor = {
  key: APP_KEY,
  baseUrl: 'https://addon.example.com',
  authentication: { type: 'jwt' },
  modules: { webhooks: [{ event: 'jira:issue_created', url: WEBHOOK }] },
};
const site = installBody('side-by-side-site');
const clientKey = site.clientKey as string;
const sharedSecret = site.sharedSecret as string;

const dir = mkdtempSync(join(tmpdir(), 'connect-jwt-ace-side-by-side-'));
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Both stores hold the site, as after `connect-jwt import-ace`. */
async function installSite(addon: AceAddon, store: MemoryStore): Promise<void> {
  await addon.settings.saveInstallation(site, clientKey);
  await store.set({ clientKey, sharedSecret, baseUrl: site.baseUrl as string, key: APP_KEY });
}

const connectJwtWebhook = (store: MemoryStore) =>
  [atlassianJwt({ store }), (_req: express.Request, res: express.Response) => res.json({ by: 'connect-jwt' })] as const;

async function sendWebhook(server: RunningServer) {
  const token = await createJwt(clientKey, sharedSecret, { method: 'POST', uri: WEBHOOK });
  return fetch(`${server.url}${WEBHOOK}`, {
    method: 'POST',
    headers: { authorization: `JWT ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ webhookEvent: 'jira:issue_created' }),
  });
}

describe('ACE and connect-jwt side by side: the order of the routes', () => {
  it('connect-jwt routes mounted before ace(app) answer their webhook (the guide)', async () => {
    const app = express();
    const store = new MemoryStore();
    app.post(WEBHOOK, ...connectJwtWebhook(store));
    app.use(express.json());
    const addon = mountAce(app, descriptor, mkdtempSync(join(dir, 'before-')));
    await installSite(addon, store);
    const server = await listen(app.listen(0, '127.0.0.1'));
    servers.push(server);
    const response = await sendWebhook(server);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ by: 'connect-jwt' });
  });

  it('declared after ace(app) and an await, the same route is never reached: ACE answers 204', async () => {
    const app = express();
    app.use(express.json());
    const addon = mountAce(app, descriptor, mkdtempSync(join(dir, 'after-')));
    const store = new MemoryStore();
    await installSite(addon, store); // any await (here, and in the guide a store opening) lets ACE add its routes first
    await nextTurn();
    app.post(WEBHOOK, ...connectJwtWebhook(store));
    const server = await listen(app.listen(0, '127.0.0.1'));
    servers.push(server);
    const response = await sendWebhook(server);
    expect(response.status).toBe(204);
  });
});

describe("ACE's session tokens on a connect-jwt route", () => {
  let server: RunningServer;
  let sessionToken: string;

  beforeAll(async () => {
    const app = express();
    const store = new MemoryStore();
    const aceSessionTokens = { appKey: APP_KEY };
    app.get('/api/data', atlassianJwt({ store, qsh: 'context', aceSessionTokens }), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey, accountId: req.atlassian.accountId ?? null });
    });
    app.get('/api/strict', atlassianJwt({ store, aceSessionTokens }), (_req, res) => res.json({}));
    app.get('/api/not-opted-in', atlassianJwt({ store, qsh: 'context' }), (_req, res) => res.json({}));
    app.use(express.json());
    const addon = mountAce(app, descriptor, mkdtempSync(join(dir, 'session-')));
    await installSite(addon, store);
    // A page still on ACE: ACE authenticates its load and hands the page a session token. ACE reads
    // req.body.jwt, which Express 5 leaves undefined on a GET: ACE's add-ons parse an empty body.
    app.get(
      '/ace-page',
      (req, _res, next) => {
        req.body ??= {};
        next();
      },
      addon.authenticate(),
      (_req, res) => res.send('page'),
    );
    server = await listen(app.listen(0, '127.0.0.1'));
    servers.push(server);
    const pageToken = await createJwt(clientKey, sharedSecret, { method: 'GET', uri: '/ace-page', subject: 'acc-7' });
    const page = await fetch(`${server.url}/ace-page?jwt=${pageToken}`);
    expect(page.status).toBe(200);
    sessionToken = page.headers.get('x-acpt') ?? '';
    expect(sessionToken).not.toBe('');
  });

  const call = (path: string, token = sessionToken) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `JWT ${token}` } });

  it('are accepted with aceSessionTokens on a context route: the site from aud, the user from sub', async () => {
    const response = await call('/api/data');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ clientKey, accountId: 'acc-7' });
  });

  it('are refused on a strict route, and where not opted in', async () => {
    const strict = await call('/api/strict');
    expect([strict.status, ((await strict.json()) as { code: string }).code]).toEqual([401, 'ERR_QSH_MISMATCH']);
    const plain = await call('/api/not-opted-in');
    expect([plain.status, ((await plain.json()) as { code: string }).code]).toEqual([401, 'ERR_INVALID_ISSUER']);
  });

  it('are refused when the signature is not made with the site secret', async () => {
    const [header, payload] = sessionToken.split('.') as [string, string];
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const bad = await call('/api/data', forged);
    expect(((await bad.json()) as { code: string }).code).toBe('ERR_INVALID_SIGNATURE');
  });

  it('connect-jwt explain names one, taken from ACE, instead of blaming a missing qsh', async () => {
    let stdout = '';
    const code = await main(['explain', sessionToken], {
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
      env: {},
    });
    expect(code).toBe(1);
    expect(stdout).toContain(
      `an atlassian-connect-express session token (X-acpt / res.locals.token): iss is the add-on key "${APP_KEY}", aud the clientKey "${clientKey}", no qsh`,
    );
    expect(stdout).not.toContain('qsh does NOT match');
  });
});
