import type { ConnectAuth } from './request.js';
import type { SecretStore } from './store.js';

/** One delivery of a webhook, from its headers and body: `req.atlassian.webhook`. */
export interface WebhookDelivery {
  /** `X-Atlassian-Webhook-Identifier`: unique per delivery within the site, unchanged across retries. */
  identifier: string | undefined;
  /** `X-Atlassian-Webhook-Retry`: how many times this delivery was retried; 0 on the first attempt. */
  retry: number;
  /** `X-Atlassian-Webhook-Flow`: `Primary` or `Secondary` (bulk or cascading changes), as sent. */
  flow: string | undefined;
  /** The descriptor event this delivery was routed to, e.g. `jira:issue_created`. */
  event: string;
}

/** A verified webhook: the Connect request and its delivery. */
export interface WebhookAuth extends ConnectAuth {
  webhook: WebhookDelivery;
}

/** The parsed JSON body of a webhook. */
export type WebhookBody = Record<string, unknown>;

/** Handles one event; a throw (or a rejection) answers 500, so that the product delivers it again. */
export type WebhookHandler = (body: WebhookBody, auth: WebhookAuth) => unknown;

/** One handler per event the descriptor's `modules.webhooks` declares, keyed by the event. */
export type WebhookHandlers = Record<string, WebhookHandler>;

/** What `connectWebhooks(descriptor, handlers, options)` takes in every adapter. */
export interface WebhookOptions {
  /** Installations and the handled-once records; default the process-wide default store. */
  store?: SecretStore | undefined;
  /** The add-on's base URL: its path prefix is stripped before the qsh (see atlassianJwt). */
  baseUrl?: string | undefined;
  clockTolerance?: number | undefined;
  maxTokenAge?: number | undefined;
  maxTokenLength?: number | undefined;
  /**
   * How long a delivery being handled holds its claim, in ms; default 60 000. A duplicate that
   * arrives meanwhile is answered 409 (Jira retries it later). A process that dies mid-handler
   * leaves its claim until then, after which a retry runs the handler. Longer than a handler runs.
   */
  leaseMs?: number | undefined;
  /**
   * How long a handled delivery is remembered, in ms; default 24 hours, well past Jira's retry
   * window (retries come within about 30 minutes). A duplicate within it is answered 204 unrun.
   */
  retentionMs?: number | undefined;
  /** Largest accepted body in bytes; default 4 MiB (an issue with a long changelog is large). */
  maxBodyBytes?: number | undefined;
  /**
   * Told about a handler that threw (the answer is then 500 and Jira retries); default
   * `console.error`. The error never goes out in the answer.
   */
  onError?: ((error: unknown, auth: WebhookAuth) => void) | undefined;
}
