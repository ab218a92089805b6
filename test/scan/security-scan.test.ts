// What Atlassian's security requirements scanner sends, against every route of every example
// add-on: the routes are read from the descriptor (modules, lifecycle) and from the framework's
// own route table, so a route added later is scanned without editing this file. Every probe must
// be answered with a 4xx whose body holds no token, no token segment, no secret and no signing
// input; the three frameworks must answer every probe alike; and no probe may change the store.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { unsignedToken } from '@connect-jwt/adapter-test-suite';
import { createJwt, encode, MemoryStore } from '@connect-jwt/core';
import type { RunningAddon, StartOptions } from '@connect-jwt/example-shared';
import { createFakeProduct, type FakeProduct, installPayload, signInstall } from '@connect-jwt/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as expressExample from '../../examples/express-addon/src/app.ts';
import * as fastifyExample from '../../examples/fastify-addon/src/app.ts';
import * as koaExample from '../../examples/koa-addon/src/app.ts';
import { recordRow } from '../support/reliability/report.ts';

interface Route {
  method: string;
  path: string;
}

const PUBLIC = new Set(['GET /atlassian-connect.json', 'HEAD /atlassian-connect.json']);

/** Routes in each framework's own table (connectLifecycle and connectWebhooks in Express and Koa do not list theirs). */
async function frameworkRoutes(framework: string): Promise<Route[]> {
  const options = { baseUrl: 'http://127.0.0.1:1', store: new MemoryStore() };
  const routes: Route[] = [];
  if (framework === 'express') {
    type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route)
          for (const method of Object.keys(layer.route.methods)) routes.push({ method, path: layer.route.path });
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((expressExample.createApp(options) as unknown as { router: { stack: Layer[] } }).router.stack);
  } else if (framework === 'koa') {
    type Dispatch = { router?: { stack: { path: string; methods: string[] }[] } };
    for (const middleware of koaExample.createApp(options).middleware as Dispatch[]) {
      for (const layer of middleware.router?.stack ?? []) {
        for (const method of layer.methods) routes.push({ method, path: layer.path });
      }
    }
  } else {
    const app = await fastifyExample.createApp(options);
    await app.ready();
    // printRoutes draws a tree: a child's line holds only what it adds to its parent's path
    // (`/api/myself` then `-as-user`), one four-character indent per level.
    const parents: string[] = [];
    for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^([│ ]*)[├└]── (\S*)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!match) continue;
      const depth = (match[1] as string).length / 4;
      const path = (parents[depth - 1] ?? '') + (match[2] as string);
      parents[depth] = path;
      parents.length = depth + 1;
      if (match[3]) for (const method of match[3].split(', ')) routes.push({ method, path });
    }
    await app.close();
  }
  return routes.map((route) => ({ ...route, method: route.method.toUpperCase() }));
}

/** The descriptor's module URLs (pages: GET, webhooks: POST) and lifecycle callbacks (POST). */
function descriptorRoutes(descriptor: Record<string, unknown>): Route[] {
  const routes: Route[] = [];
  const modules = (descriptor.modules ?? {}) as Record<string, { url?: string }[]>;
  for (const [kind, list] of Object.entries(modules)) {
    for (const module of list) {
      if (module.url)
        routes.push({ method: kind === 'webhooks' ? 'POST' : 'GET', path: module.url.split('?')[0] as string });
    }
  }
  for (const path of Object.values((descriptor.lifecycle ?? {}) as Record<string, string>)) {
    routes.push({ method: 'POST', path });
  }
  return routes;
}

interface Probe {
  name: string;
  token?: string;
  /** Where the token goes. */
  in: 'header' | 'query';
}

interface ProbeAnswer {
  route: string;
  probe: string;
  status: number;
  code: unknown;
}

const examples: [string, (options: StartOptions) => Promise<RunningAddon>][] = [
  ['express', expressExample.startAddon],
  ['koa', koaExample.startAddon],
  ['fastify', fastifyExample.startAddon],
];

const answersByFramework = new Map<string, ProbeAnswer[]>();
const leaks: string[] = [];
const storeChanges: string[] = [];

afterAll(() => {
  const all = [...answersByFramework.values()].flat();
  const statuses: Record<number, number> = {};
  for (const answer of all) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const routes = new Set(all.map((answer) => answer.route));
  const ok =
    all.length > 0 &&
    all.every((answer) => answer.status >= 400 && answer.status < 500) &&
    leaks.length === 0 &&
    storeChanges.length === 0;
  recordRow(inject('reliabilityResultsDir'), {
    suite: 'scan',
    tried:
      "Atlassian's security scanner probes on every route of the three examples (descriptor modules and lifecycle + the framework's route table, GET routes also as HEAD): no token, HS256 with a bogus key (known and unknown iss), alg none, RS256 with kid fake-kid; each in the Authorization header and in ?jwt=; POSTs carry a body (installs: an attacker's shared secret)",
    amount: `${all.length} probes (${routes.size} route/method pairs per framework × 3 frameworks)`,
    result: ok
      ? `all 4xx (statuses ${JSON.stringify(statuses)}), identical across frameworks; no body held a token, segment, secret or signing input; the stored secret never changed`
      : `${leaks.length} leaks, ${storeChanges.length} store changes, statuses ${JSON.stringify(statuses)}: ${[...leaks, ...storeChanges].slice(0, 3).join('; ')}`,
    ok,
  });
});

describe.each(examples)('security scan of the %s example', (framework, startAddon) => {
  let product: FakeProduct;
  let addon: RunningAddon;
  const store = new MemoryStore();

  beforeAll(async () => {
    product = await createFakeProduct();
    addon = await startAddon({ port: 0, host: '127.0.0.1', store, keyServerUrl: product.keyServerUrl });
    expect((await product.install(addon.baseUrl)).status).toBe(204);
  });

  afterAll(async () => {
    await addon?.close();
    await product?.close();
    await store.close();
  });

  it('answers every probe on every route with a 4xx that leaks nothing', async () => {
    const descriptor = (await (await fetch(`${addon.baseUrl}/atlassian-connect.json`)).json()) as Record<
      string,
      unknown
    >;
    const table = await frameworkRoutes(framework);
    const fromDescriptor = descriptorRoutes(descriptor);
    // The descriptor's page URLs are routes the framework serves. Lifecycle and webhook URLs are
    // served by connectLifecycle and connectWebhooks, which Express and Koa do not list as routes;
    // they are probed all the same, from the descriptor.
    const servedByConnect = new Set([
      ...Object.values(descriptor.lifecycle as object),
      ...((descriptor.modules as { webhooks?: { url: string }[] }).webhooks ?? []).map((w) => w.url.split('?')[0]),
    ]);
    for (const route of fromDescriptor.filter((r) => !servedByConnect.has(r.path))) {
      expect(table, `${route.method} ${route.path}`).toContainEqual(route);
    }
    const routes = new Map<string, Route>();
    for (const route of [...table, ...fromDescriptor]) {
      const withHead = route.method === 'GET' ? [route, { ...route, method: 'HEAD' }] : [route];
      for (const each of withHead)
        if (!PUBLIC.has(`${each.method} ${each.path}`)) routes.set(`${each.method} ${each.path}`, each);
    }
    expect([...routes.keys()].sort()).toEqual([
      'GET /api/context',
      'GET /api/myself',
      'GET /api/myself-as-user',
      'GET /api/webhooks',
      'GET /hello',
      'HEAD /api/context',
      'HEAD /api/myself',
      'HEAD /api/myself-as-user',
      'HEAD /api/webhooks',
      'HEAD /hello',
      'POST /installed',
      'POST /uninstalled',
      'POST /webhooks/issue-created',
    ]);

    const storedBefore = JSON.stringify(await store.get(product.clientKey));
    const bogusKey = randomBytes(32).toString('base64url');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const secrets = [product.sharedSecret, bogusKey];
    const answers: ProbeAnswer[] = [];

    for (const route of routes.values()) {
      const lifecycle = route.path === '/installed' || route.path === '/uninstalled';
      const url = `${addon.baseUrl}${route.path}`;
      const qshClaims = { method: route.method === 'HEAD' ? 'GET' : route.method, uri: url, baseUrl: addon.baseUrl };
      const now = Math.floor(Date.now() / 1000);
      const unsigned = (claims: Record<string, unknown>) => unsignedToken({ alg: 'none', typ: 'JWT' }, claims);
      const probes: [string, string | undefined][] = [
        ['no token', undefined],
        ['HS256 with a bogus key', await createJwt(product.clientKey, bogusKey, qshClaims)],
        ['HS256 with a bogus key and an unknown iss', await createJwt(randomUUID(), bogusKey, qshClaims)],
        [
          'HS256 with a bogus key (install-shaped)',
          await encode({ iss: product.clientKey, aud: addon.baseUrl, iat: now, exp: now + 180 }, bogusKey),
        ],
        [
          'alg none',
          unsigned({ iss: product.clientKey, iat: now, exp: now + 180, qsh: 'context-qsh', aud: addon.baseUrl }),
        ],
        [
          'RS256 with kid fake-kid',
          signInstall({
            key: { kid: 'fake-kid', privateKey },
            addonBaseUrl: addon.baseUrl,
            payload: { clientKey: product.clientKey },
            path: route.path,
          }),
        ],
      ];
      for (const [name, token] of probes) {
        for (const where of token === undefined ? (['header'] as const) : (['header', 'query'] as const)) {
          const probe: Probe = { name: `${name} (${where})`, in: where, ...(token !== undefined && { token }) };
          const headers: Record<string, string> = {};
          let target = url;
          if (token !== undefined && where === 'header') headers.authorization = `JWT ${token}`;
          if (token !== undefined && where === 'query') target += `?jwt=${token}`;
          let body: string | undefined;
          if (route.method === 'POST') {
            headers['content-type'] = 'application/json';
            const payload = lifecycle
              ? installPayload({
                  clientKey: product.clientKey,
                  sharedSecret: 'scanner-chosen-secret-0123456789abcdef',
                  eventType: route.path === '/installed' ? 'installed' : 'uninstalled',
                })
              : { webhookEvent: 'jira:issue_created', issue: { key: 'SCAN-1' } };
            body = JSON.stringify(payload);
          }
          const response = await fetch(target, { method: route.method, headers, ...(body !== undefined && { body }) });
          const text = await response.text();
          let code: unknown;
          if (route.method !== 'HEAD') {
            try {
              code = (JSON.parse(text) as { code?: unknown }).code;
            } catch {
              code = `not JSON: ${text.slice(0, 80)}`;
            }
          }
          const answer = { route: `${route.method} ${route.path}`, probe: probe.name, status: response.status, code };
          answers.push(answer);
          const secretsHere = [...secrets, 'scanner-chosen-secret-0123456789abcdef'];
          const forbidden = token
            ? [token, ...token.split('.').filter((part) => part.length >= 8), token.slice(0, token.lastIndexOf('.'))]
            : [];
          for (const needle of [...secretsHere, ...forbidden]) {
            if (text.includes(needle))
              leaks.push(`${framework} ${answer.route} ${answer.probe}: body holds ${needle.slice(0, 12)}…`);
          }
          for (const [header, value] of response.headers) {
            for (const needle of [...secretsHere, ...(token ? [token] : [])]) {
              if (value.includes(needle))
                leaks.push(`${framework} ${answer.route} ${answer.probe}: header ${header} holds a secret`);
            }
          }
        }
      }
    }
    const storedAfter = JSON.stringify(await store.get(product.clientKey));
    if (storedAfter !== storedBefore) storeChanges.push(`${framework}: the stored installation changed`);
    answersByFramework.set(framework, answers);

    expect(leaks.filter((leak) => leak.startsWith(framework))).toEqual([]);
    expect(answers.filter((answer) => answer.status < 400 || answer.status > 499)).toEqual([]);
    // Host routes: the code says exactly why; lifecycle routes: a typed refusal.
    for (const answer of answers) {
      if (answer.route.startsWith('HEAD')) continue;
      expect(String(answer.code), `${answer.route} ${answer.probe}`).toMatch(/^ERR_[A-Z_]+$/);
    }
    expect(storedAfter).toBe(storedBefore);
    // The installation still authenticates: the probes changed nothing.
    expect((await product.request('/api/context', { token: await product.contextToken() })).status).toBe(200);
  });
});

describe('the three examples', () => {
  it('answer every probe alike', () => {
    const sorted = (answers: ProbeAnswer[]) =>
      [...answers].sort((a, b) => `${a.route} ${a.probe}`.localeCompare(`${b.route} ${b.probe}`));
    const [first, ...others] = [...answersByFramework.values()].map(sorted);
    expect(first?.length).toBeGreaterThan(0);
    for (const other of others) expect(other).toEqual(first);
  });
});
