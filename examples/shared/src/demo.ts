import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@connect-jwt/store-sqlite';
import {
  createFakeForge,
  createFakeProduct,
  type FakeForge,
  type FakeProduct,
  type RunningAddon,
} from '@connect-jwt/testing';
import type { StartOptions } from './run.js';
import type { HandledWebhook } from './webhooks.js';

export interface DemoOptions {
  /** Shown in the title, e.g. `express-addon`. */
  name: string;
  startAddon: (options: StartOptions) => Promise<RunningAddon>;
  /** Where lines go; default `console.log`. */
  print?: (line: string) => void;
  /** ANSI colours; default off. */
  color?: boolean;
}

/** One step as the demo saw it. */
export interface DemoStep {
  title: string;
  expectedStatus: number;
  status: number;
  ok: boolean;
  summary: string;
}

interface StepDefinition {
  title: string;
  request: string;
  expectedStatus: number;
  send: () => Promise<Response>;
  summarize: (body: unknown) => string | Promise<string>;
}

type Body = Record<string, unknown> & {
  code?: string;
  message?: string;
  event?: string;
  accountId?: string;
  context?: { jira?: { issue?: { key?: string } } };
};

/** The Connect flow, one request per step, with the status each must get. */
function flow(product: FakeProduct, forge: FakeForge, addon: RunningAddon, store: SqliteStore): StepDefinition[] {
  const user = `${product.accountId.slice(0, 12)}…`;
  const delivery = randomUUID();
  return [
    {
      title: 'install',
      request: 'POST /installed (RS256 signed install)',
      expectedStatus: 204,
      // An app that adopted Forge: `installed` names the Forge installation of the same site.
      send: () => product.install(addon.baseUrl, { payload: { installationId: forge.installationId } }),
      summarize: () => `stored clientKey ${product.clientKey.slice(0, 8)}… and its shared secret`,
    },
    {
      title: 'forged install',
      request: 'POST /installed (HS256, attacker secret)',
      expectedStatus: 401,
      send: () => product.install(addon.baseUrl, { forgery: 'hs256' }),
      summarize: async (body) => {
        const stored = await store.get(product.clientKey);
        const kept = stored?.sharedSecret === product.sharedSecret;
        return `${(body as Body).code}, stored secret ${kept ? 'unchanged' : 'CHANGED'}`;
      },
    },
    {
      title: 'iframe load',
      request: 'GET /hello?xdm_e=…&lic=…&tz=…&jwt=…',
      expectedStatus: 200,
      send: () => product.loadIframe('/hello'),
      summarize: (body) =>
        typeof body === 'string' && body.includes(product.accountId) ? `general page for ${user}` : 'unexpected page',
    },
    {
      title: 'context call',
      request: 'GET /api/context (context-qsh token)',
      expectedStatus: 200,
      send: async () => product.request('/api/context', { token: await product.contextToken() }),
      summarize: (body) => `issue ${(body as Body).context?.jira?.issue?.key} for ${user}`,
    },
    {
      title: 'webhook',
      request: 'POST /webhooks/issue-created',
      expectedStatus: 204,
      send: () => product.webhook('/webhooks/issue-created', 'jira:issue_created', { identifier: delivery }),
      summarize: async () => {
        const [first] = await handledWebhooks(product);
        return `handled ${first?.event} ${first?.issueKey}`;
      },
    },
    {
      // Jira delivers again when an answer is lost or late: same identifier, Retry: 1.
      title: 'webhook retry',
      request: 'POST /webhooks/issue-created (Retry: 1)',
      expectedStatus: 204,
      send: () => product.webhook('/webhooks/issue-created', 'jira:issue_created', { identifier: delivery, retry: 1 }),
      summarize: async () => {
        const runs = (await handledWebhooks(product)).filter((webhook) => webhook.identifier === delivery).length;
        return runs === 1 ? 'duplicate absorbed: the handler ran once' : `the handler ran ${runs} times`;
      },
    },
    {
      title: 'outbound call',
      request: 'GET /api/myself → GET /rest/api/3/myself',
      expectedStatus: 200,
      send: async () => product.request('/api/myself', { token: await product.contextToken() }),
      summarize: () => {
        const call = product.received.at(-1);
        return call ? `product checked iss=${call.appKey} and qsh: ${call.status}` : 'no call reached the product';
      },
    },
    {
      title: 'as the user',
      request: 'GET /api/myself-as-user → Bearer (user)',
      expectedStatus: 200,
      send: async () => product.request('/api/myself-as-user', { token: await product.contextToken() }),
      summarize: (body) => {
        const call = product.received.at(-1);
        const answered = (body as { product?: { accountId?: string } }).product?.accountId;
        return call?.auth === 'bearer' && answered === product.accountId
          ? `product answered as ${user} (user token from ${product.tokenRequests.length} token request)`
          : 'the product did not answer as the user';
      },
    },
    {
      title: 'Forge trigger',
      request: 'POST /forge/events (Bearer FIT, RS256)',
      expectedStatus: 200,
      send: () =>
        fetch(`${addon.baseUrl}/forge/events`, {
          method: 'POST',
          headers: { ...forge.headers({ principal: null }), 'content-type': 'application/json' },
          body: JSON.stringify({ eventType: 'avi:jira:created:issue' }),
        }),
      summarize: (body) => {
        const answer = body as Body & { clientKey?: string; environment?: string };
        return `${answer.event} → Connect installation ${String(answer.clientKey).slice(0, 8)}… (${answer.environment})`;
      },
    },
    {
      title: 'Forge UI call',
      request: 'GET /api/context (Bearer FIT, same route)',
      expectedStatus: 200,
      send: () => fetch(`${addon.baseUrl}/api/context`, { headers: forge.headers() }),
      summarize: (body) => `kind ${(body as Body & { kind?: string }).kind} for ${user}`,
    },
    {
      title: 'other app FIT',
      request: "POST /forge/events (another app's aud)",
      expectedStatus: 401,
      send: () =>
        fetch(`${addon.baseUrl}/forge/events`, {
          method: 'POST',
          headers: forge.headers({ claims: { aud: 'ari:cloud:ecosystem::app/11111111-2222-4333-8444-555555555555' } }),
        }),
      summarize: (body) => String((body as Body).code),
    },
    {
      title: 'bad token',
      request: 'GET /hello (token for another URL)',
      expectedStatus: 401,
      send: async () => product.request('/hello', { token: await product.hostToken({ url: '/other' }) }),
      summarize: (body) => String((body as Body).code),
    },
    {
      title: 'uninstall',
      request: 'POST /uninstalled (RS256 signed)',
      expectedStatus: 204,
      send: () => product.uninstall(),
      summarize: () => 'installation deleted',
    },
    {
      title: 'after uninstall',
      request: 'GET /hello?…&jwt=… (old secret)',
      expectedStatus: 401,
      send: () => product.loadIframe('/hello'),
      summarize: (body) => `${(body as Body).code}: ${(body as Body).message}`,
    },
  ];
}

/** What the add-on's webhook handler did for this site (its `GET /api/webhooks`). */
async function handledWebhooks(product: FakeProduct): Promise<HandledWebhook[]> {
  const response = await product.request('/api/webhooks', { token: await product.contextToken() });
  return response.ok ? ((await response.json()) as { handled: HandledWebhook[] }).handled : [];
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `npm run demo`: an example add-on on a free port with a throw-away SQLite store, driven by a fake
 * Jira through install → iframe → context call → webhook (and its retry, absorbed) → outbound calls (as the add-on, as the user) → uninstall, one line a
 * step, so a newcomer sees what is signed, by whom, and what is refused.
 */
export async function runDemo(options: DemoOptions): Promise<DemoStep[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-demo-'));
  const store = new SqliteStore(join(dataDir, 'installations.sqlite'));
  const product = await createFakeProduct({ productType: 'jira' });
  // Forge's side of Connect on Forge: its JWKS and invocation tokens, on 127.0.0.1 too.
  const forge = await createFakeForge({ accountId: product.accountId });
  let addon: RunningAddon | undefined;
  const steps: DemoStep[] = [];
  try {
    addon = await options.startAddon({
      port: 0,
      host: '127.0.0.1',
      store,
      keyServerUrl: product.keyServerUrl,
      authorizationServerUrl: product.authorizationServerUrl,
      forge: { appId: forge.appId, jwksUrl: forge.jwksUrl },
    });
    print(paint(1, `connect-jwt demo: ${options.name} driven by a fake Jira`));
    print('');
    print(`  add-on   ${addon.baseUrl}  (descriptor at /atlassian-connect.json, SQLite store in a temp dir)`);
    print(`  product  ${product.baseUrl}  (REST API; install keys at ${product.keyServerUrl})`);
    print(`  oauth    ${product.authorizationServerUrl}  (user tokens for ACT_AS_USER)`);
    print(`  forge    ${forge.jwksUrl}  (app ${forge.appId})`);
    print('');
    for (const [index, definition] of flow(product, forge, addon, store).entries()) {
      const response = await definition.send();
      const summary = await definition.summarize(await readBody(response));
      const ok = response.status === definition.expectedStatus;
      steps.push({
        title: definition.title,
        expectedStatus: definition.expectedStatus,
        status: response.status,
        ok,
        summary,
      });
      const mark = ok ? paint(32, '✓') : paint(31, '✗');
      const status = paint(ok ? 32 : 31, String(response.status));
      print(
        `${mark} ${String(index + 1).padStart(2)}. ${definition.title.padEnd(16)} ${definition.request.padEnd(42)} ${status}  ${summary}`,
      );
    }
  } finally {
    await addon?.close();
    await product.close();
    await forge.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const failures = steps.filter((step) => !step.ok).length;
  print('');
  print(
    failures === 0
      ? paint(32, 'every step answered as expected')
      : paint(31, `${failures} step(s) answered unexpectedly`),
  );
  return steps;
}
