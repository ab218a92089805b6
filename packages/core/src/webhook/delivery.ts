import { WebhookDeliveryError } from '../errors.js';
import type { ConnectRequest } from '../types/request.js';
import type { WebhookDelivery } from '../types/webhook.js';

// Printable ASCII, bounded: the identifier goes into a store key, and Jira's are short ids.
const IDENTIFIER = /^[\x21-\x7e]{1,200}$/;

function header(headers: ConnectRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The delivery headers Jira sends with a webhook, for the event it was routed to. */
export function readDelivery(headers: ConnectRequest['headers'], event: string): WebhookDelivery {
  const identifier = header(headers, 'x-atlassian-webhook-identifier');
  if (identifier !== undefined && !IDENTIFIER.test(identifier)) {
    throw new WebhookDeliveryError('the X-Atlassian-Webhook-Identifier header is not a short printable identifier');
  }
  const retry = Number(header(headers, 'x-atlassian-webhook-retry') ?? 0);
  const flow = header(headers, 'x-atlassian-webhook-flow');
  return {
    identifier,
    retry: Number.isSafeInteger(retry) && retry >= 0 ? retry : 0,
    flow: flow === undefined ? undefined : flow.slice(0, 32),
    event,
  };
}
