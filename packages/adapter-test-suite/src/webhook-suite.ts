// The webhook table that Express, Koa and Fastify must answer alike: connectWebhooks over real
// HTTP, handled once through the store, with the delivery headers Jira sends.
import { randomUUID } from 'node:crypto';
import {
  createJwt,
  type Installation,
  MemoryStore,
  type WebhookAuth,
  type WebhookBody,
  type WebhookHandlers,
  type WebhookOptions,
} from '@connect-jwt/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INSTALLATION } from './installation.js';
import type { RunningServer } from './listen.js';

/** One adapter's connectWebhooks, as the table builds and serves it. */
export interface WebhookApps {
  /** `connectWebhooks(descriptor, handlers, options)` itself, for the setup errors (a TypeError at the call). */
  create(descriptor: object, handlers: WebhookHandlers, options?: WebhookOptions): unknown;
  /** An app serving `connectWebhooks(descriptor, handlers, options)` at its root, on 127.0.0.1 port 0. */
  start(descriptor: object, handlers: WebhookHandlers, options: WebhookOptions): Promise<RunningServer>;
}

/** The descriptor the table serves: one event on its own URL, two sharing one (routed by `webhookEvent`). */
export const WEBHOOK_DESCRIPTOR = {
  key: 'webhook-table',
  baseUrl: 'https://addon.example.com',
  modules: {
    webhooks: [
      { event: 'jira:issue_created', url: '/webhooks/issue-created' },
      { event: 'jira:issue_updated', url: '/webhooks/jira?issue={issue.key}' },
      { event: 'comment_created', url: '/webhooks/jira' },
    ],
  },
};

/** A store whose shared values (the handled-once records) cannot be reached while `down`. */
class ValuesDownStore extends MemoryStore {
  down = false;
  override rememberOnce(key: string, value: string, ttlMs: number): Promise<string> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    return super.rememberOnce(key, value, ttlMs);
  }
}

interface Call {
  event: string;
  body: WebhookBody;
  auth: WebhookAuth;
}

interface Delivery {
  path: string;
  event: string;
  identifier?: string;
  retry?: number;
  token?: string;
  headers?: Record<string, string>;
}

const mint = (path: string, installation: Pick<Installation, 'clientKey' | 'sharedSecret'> = INSTALLATION) =>
  createJwt(installation.clientKey, installation.sharedSecret, { method: 'POST', uri: path });

/** Registers the webhook table against one framework's connectWebhooks. */
export function webhookSuite(name: string, apps: WebhookApps): void {
  describe(`${name} adapter: connectWebhooks`, () => {
    let app: RunningServer;
    let store: ValuesDownStore;
    let calls: Call[];
    let reported: unknown[];
    // What the next handler call does before it returns: throw, or wait for the test.
    let nextCall: (() => Promise<void>) | undefined;

    const handler = (event: string) => async (body: WebhookBody, auth: WebhookAuth) => {
      calls.push({ event, body, auth });
      const step = nextCall;
      nextCall = undefined;
      await step?.();
    };
    const handlers: WebhookHandlers = {
      'jira:issue_created': handler('jira:issue_created'),
      'jira:issue_updated': handler('jira:issue_updated'),
      comment_created: handler('comment_created'),
    };

    const deliver = async (delivery: Delivery) => {
      const identifier = delivery.identifier ?? randomUUID();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        authorization: `JWT ${delivery.token ?? (await mint(delivery.path))}`,
        'x-atlassian-webhook-identifier': identifier,
        'x-atlassian-webhook-flow': 'Primary',
        ...(delivery.retry !== undefined && { 'x-atlassian-webhook-retry': String(delivery.retry) }),
        ...delivery.headers,
      };
      const body = JSON.stringify({ webhookEvent: delivery.event, timestamp: Date.now(), issue: { key: 'TEST-1' } });
      const response = await fetch(`${app.url}${delivery.path}`, { method: 'POST', headers, body });
      const text = await response.text();
      expect(text).not.toMatch(/\n\s+at /);
      expect(text).not.toContain(INSTALLATION.sharedSecret);
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
    };

    beforeAll(async () => {
      store = new ValuesDownStore();
      await store.set(INSTALLATION);
      const onError = (error: unknown) => {
        reported.push(error);
      };
      app = await apps.start(WEBHOOK_DESCRIPTOR, handlers, { store, leaseMs: 30_000, onError });
    });
    afterAll(async () => {
      await app?.close();
    });
    beforeEach(() => {
      calls = [];
      reported = [];
      nextCall = undefined;
      store.down = false;
    });

    it('routes by event: one URL per event, and several events on one URL by webhookEvent', async () => {
      expect((await deliver({ path: '/webhooks/issue-created', event: 'jira:issue_created' })).status).toBe(204);
      expect((await deliver({ path: '/webhooks/jira?issue=TEST-1', event: 'jira:issue_updated' })).status).toBe(204);
      expect((await deliver({ path: '/webhooks/jira', event: 'comment_created' })).status).toBe(204);
      expect(calls.map((call) => call.event)).toEqual(['jira:issue_created', 'jira:issue_updated', 'comment_created']);
      expect(calls.map((call) => call.body.webhookEvent)).toEqual(calls.map((call) => call.event));
      expect(calls.every((call) => call.auth.clientKey === INSTALLATION.clientKey)).toBe(true);
    });

    it('gives the handler the delivery: identifier, retry, flow and event', async () => {
      const identifier = randomUUID();
      await deliver({ path: '/webhooks/jira', event: 'comment_created', identifier, retry: 2 });
      expect(calls[0]?.auth.webhook).toEqual({ identifier, retry: 2, flow: 'Primary', event: 'comment_created' });
      expect(calls[0]?.auth.installation.clientKey).toBe(INSTALLATION.clientKey);
    });

    it('refuses an event its URL does not serve, without running a handler', async () => {
      const answer = await deliver({ path: '/webhooks/jira', event: 'jira:issue_deleted' });
      expect([answer.status, answer.body?.code]).toEqual([400, 'ERR_WEBHOOK_DELIVERY']);
      expect(calls).toEqual([]);
    });

    it('answers a duplicate after success 204 without running the handler again', async () => {
      const identifier = randomUUID();
      const first = await deliver({ path: '/webhooks/issue-created', event: 'jira:issue_created', identifier });
      const retry = await deliver({
        path: '/webhooks/issue-created',
        event: 'jira:issue_created',
        identifier,
        retry: 1,
      });
      expect([first.status, retry.status]).toEqual([204, 204]);
      expect(calls).toHaveLength(1);
    });

    it('runs the handler once for two concurrent copies: the other is answered 409, and its retry 204', async () => {
      const identifier = randomUUID();
      let entered!: () => void;
      let release!: () => void;
      const inHandler = new Promise<void>((resolve) => {
        entered = resolve;
      });
      nextCall = () =>
        new Promise<void>((resolve) => {
          release = resolve;
          entered();
        });
      const first = deliver({ path: '/webhooks/issue-created', event: 'jira:issue_created', identifier });
      await inHandler;
      const copy = await deliver({
        path: '/webhooks/issue-created',
        event: 'jira:issue_created',
        identifier,
        retry: 1,
      });
      expect([copy.status, copy.body?.code]).toEqual([409, 'ERR_WEBHOOK_IN_PROGRESS']);
      release();
      expect((await first).status).toBe(204);
      const later = await deliver({
        path: '/webhooks/issue-created',
        event: 'jira:issue_created',
        identifier,
        retry: 2,
      });
      expect(later.status).toBe(204);
      expect(calls).toHaveLength(1);
    });

    it('runs the handler once for two copies sent at the same moment', async () => {
      const identifier = randomUUID();
      const answers = await Promise.all([
        deliver({ path: '/webhooks/jira', event: 'comment_created', identifier }),
        deliver({ path: '/webhooks/jira', event: 'comment_created', identifier, retry: 1 }),
      ]);
      // Which copy wins is up to the scheduler; the other is 409 (still running) or 204 (already done).
      const statuses = answers.map((answer) => answer.status);
      expect(statuses).toContain(204);
      expect(statuses.every((status) => status === 204 || status === 409)).toBe(true);
      expect(calls).toHaveLength(1);
    });

    it('answers a handler that throws 500 with no stack, and runs it again on the retry', async () => {
      const identifier = randomUUID();
      nextCall = async () => {
        throw new Error('the database refused: secret-detail');
      };
      const failed = await deliver({ path: '/webhooks/issue-created', event: 'jira:issue_created', identifier });
      expect([failed.status, failed.body?.code]).toEqual([500, 'ERR_WEBHOOK_HANDLER']);
      expect(JSON.stringify(failed.body)).not.toContain('secret-detail');
      // The app hears of it (onError), the product never does.
      expect(reported).toEqual([expect.objectContaining({ message: 'the database refused: secret-detail' })]);
      const retried = await deliver({
        path: '/webhooks/issue-created',
        event: 'jira:issue_created',
        identifier,
        retry: 1,
      });
      expect(retried.status).toBe(204);
      expect(calls).toHaveLength(2);
    });

    it.each([
      [
        'a token signed with another secret',
        () => mint('/webhooks/issue-created', { ...INSTALLATION, sharedSecret: 'x'.repeat(40) }),
        'ERR_INVALID_SIGNATURE',
      ],
      ['a qsh for another path', () => mint('/webhooks/jira'), 'ERR_QSH_MISMATCH'],
      [
        'a context token',
        () => createJwt(INSTALLATION.clientKey, INSTALLATION.sharedSecret, { context: true }),
        'ERR_QSH_MISMATCH',
      ],
    ])('refuses %s with 401, and the handler never runs', async (_name, token, code) => {
      const answer = await deliver({
        path: '/webhooks/issue-created',
        event: 'jira:issue_created',
        token: await token(),
      });
      expect([answer.status, answer.body?.code]).toEqual([401, code]);
      expect(answer.headers.get('www-authenticate')).toMatch(/^JWT realm=/);
      expect(calls).toEqual([]);
    });

    it('answers 503 when the store cannot be reached, and the handler does not run unprotected', async () => {
      store.down = true;
      const answer = await deliver({ path: '/webhooks/issue-created', event: 'jira:issue_created' });
      expect([answer.status, answer.body?.code]).toEqual([503, 'ERR_STORE_UNAVAILABLE']);
      expect(answer.headers.get('retry-after')).not.toBeNull();
      expect(calls).toEqual([]);
    });

    it('refuses at setup a declared event without a handler, and a handler for an undeclared event', () => {
      const { comment_created: _dropped, ...missing } = handlers;
      expect(() => apps.create(WEBHOOK_DESCRIPTOR, missing)).toThrow(
        /connectWebhooks: .*"comment_created" and handlers has no function for it/,
      );
      expect(() => apps.create(WEBHOOK_DESCRIPTOR, { ...handlers, 'jira:issue_craeted': handler('typo') })).toThrow(
        TypeError,
      );
      expect(() => apps.create(WEBHOOK_DESCRIPTOR, { ...handlers, 'jira:issue_craeted': handler('typo') })).toThrow(
        /handlers\["jira:issue_craeted"\] has no webhook in descriptor.modules.webhooks/,
      );
      expect(() => apps.create(WEBHOOK_DESCRIPTOR, handlers, { qsh: 'skip' } as WebhookOptions)).toThrow(/options.qsh/);
      expect(() => apps.create(WEBHOOK_DESCRIPTOR, handlers, { leaseMs: 0 })).toThrow(/options.leaseMs/);
    });
  });
}
