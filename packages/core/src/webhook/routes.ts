import { WebhookDeliveryError } from '../errors.js';
import { trimTrailingSlashes } from '../lib/url.js';
import type { WebhookBody, WebhookHandler, WebhookHandlers } from '../types/webhook.js';

/** The events served at one path, by event name. */
export type WebhookRoute = ReadonlyMap<string, WebhookHandler>;

interface DescriptorWebhook {
  event: string;
  path: string;
}

function declaredWebhooks(descriptor: unknown, caller: string): DescriptorWebhook[] {
  if (descriptor === null || typeof descriptor !== 'object') {
    throw new TypeError(`${caller}: descriptor must be the app descriptor object`);
  }
  const { modules, baseUrl } = descriptor as { modules?: { webhooks?: unknown }; baseUrl?: unknown };
  const entries = modules?.webhooks ?? [];
  if (!Array.isArray(entries)) throw new TypeError(`${caller}: descriptor.modules.webhooks must be an array`);
  return entries.map((entry: unknown, index) => {
    const where = `descriptor.modules.webhooks[${index}]`;
    const { event, url } = (entry ?? {}) as { event?: unknown; url?: unknown };
    if (typeof event !== 'string' || event === '') throw new TypeError(`${caller}: ${where}.event must be a string`);
    if (typeof url !== 'string' || url === '') throw new TypeError(`${caller}: ${where}.url must be a string`);
    // A URL may carry the product's `{issue.key}`-style variables in its query: the route is the path.
    let path = url.split(/[?#]/, 1)[0] as string;
    const base = typeof baseUrl === 'string' ? trimTrailingSlashes(baseUrl) : undefined;
    if (base !== undefined && path.startsWith(`${base}/`)) path = path.slice(base.length);
    if (!path.startsWith('/')) {
      throw new TypeError(
        `${caller}: ${where}.url must be a path below the app's baseUrl (it is ${JSON.stringify(url)})`,
      );
    }
    return { event, path };
  });
}

/**
 * The routes of `connectWebhooks`: for each path of the descriptor's `modules.webhooks`, its events
 * and their handlers. A declared event without a handler, or a handler for an undeclared event, is
 * a TypeError here, at setup: a typo in either must not drop webhooks silently.
 */
export function webhookRoutes(
  descriptor: unknown,
  handlers: WebhookHandlers,
  caller: string,
): Map<string, WebhookRoute> {
  const declared = declaredWebhooks(descriptor, caller);
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError(`${caller}: handlers must be an object of functions keyed by event`);
  }
  const events = new Set(declared.map((webhook) => webhook.event));
  for (const [event, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function')
      throw new TypeError(`${caller}: handlers[${JSON.stringify(event)}] must be a function`);
    if (!events.has(event)) {
      throw new TypeError(
        `${caller}: handlers[${JSON.stringify(event)}] has no webhook in descriptor.modules.webhooks`,
      );
    }
  }
  const routes = new Map<string, Map<string, WebhookHandler>>();
  for (const { event, path } of declared) {
    const handler = Object.hasOwn(handlers, event) ? handlers[event] : undefined;
    if (handler === undefined) {
      throw new TypeError(
        `${caller}: descriptor.modules.webhooks declares ${JSON.stringify(event)} and handlers has no function for it`,
      );
    }
    const route = routes.get(path) ?? new Map<string, WebhookHandler>();
    route.set(event, handler);
    routes.set(path, route);
  }
  return routes;
}

/**
 * The event a delivery at a route is for: its body's `webhookEvent` (Jira), or the route's one
 * event when the body names none (Confluence). An event the route does not serve is refused.
 */
export function routeEvent(route: WebhookRoute, body: WebhookBody): [string, WebhookHandler] {
  const named = body.webhookEvent;
  if (typeof named === 'string') {
    const handler = route.get(named);
    if (handler !== undefined) return [named, handler];
    throw new WebhookDeliveryError(`this URL serves no webhook for the event ${JSON.stringify(named.slice(0, 100))}`);
  }
  if (route.size === 1) {
    const [only] = route;
    if (only !== undefined) return only;
  }
  throw new WebhookDeliveryError('the webhook body names no webhookEvent, and this URL serves several events');
}
