import { isConnectJwtError, WebhookDeliveryError, WebhookHandlerError } from '../errors.js';
import { validateVerifyOptions, verifyRequest } from '../request/verify.js';
import { getDefaultStore } from '../store/default.js';
import { sharedValuesIn } from '../store/remember.js';
import type { ConnectRequest, VerifyOptions } from '../types/request.js';
import type { WebhookAuth, WebhookBody, WebhookHandlers, WebhookOptions } from '../types/webhook.js';
import { readDelivery } from '../webhook/delivery.js';
import { type HandleOnceSettings, handleOnce, handleUnkeyed } from '../webhook/handle-once.js';
import { routeEvent, type WebhookRoute, webhookRoutes } from '../webhook/routes.js';
import { type HttpAnswer, toErrorResponse } from './error-response.js';
import { readJsonBody } from './json-body.js';
import type { LifecycleHttpRequest } from './lifecycle.js';
import { defaultStoreView } from './options.js';

export const DEFAULT_WEBHOOK_LEASE_MS = 60_000;
export const DEFAULT_WEBHOOK_RETENTION_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const VERIFY_KEYS = ['baseUrl', 'clockTolerance', 'maxTokenAge', 'maxTokenLength'] as const;

/** The webhook routes of a descriptor, with their HTTP side. */
export interface WebhookRoutes {
  /** The paths to serve `POST` on, relative to the add-on's base URL. */
  readonly paths: readonly string[];
  /**
   * One delivery end to end: verifies the token (strict qsh), reads the JSON body, routes it by
   * event, runs the handler once fleet-wide, and returns the answer (204, or the error's JSON).
   * `onVerified` gets the verified request before the handler runs (to set `req.atlassian`).
   */
  answer(path: string, request: LifecycleHttpRequest, onVerified?: (auth: WebhookAuth) => void): Promise<HttpAnswer>;
}

function positive(value: unknown, name: string, caller: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new TypeError(`${caller}: options.${name} must be a positive number`);
  }
  return value;
}

const reportHandlerError = (error: unknown, auth: WebhookAuth) => {
  console.error(`connectWebhooks: the handler for ${auth.webhook.event} threw`, error);
};

/**
 * Validates the descriptor, handlers and options once (a TypeError naming what is wrong) and
 * returns the webhook routes every adapter serves alike.
 */
export function createWebhookRoutes(
  descriptor: unknown,
  handlers: WebhookHandlers,
  options: WebhookOptions | undefined,
  caller = 'connectWebhooks',
): WebhookRoutes {
  const routes: Map<string, WebhookRoute> = webhookRoutes(descriptor, handlers, caller);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${caller}: options must be an object`);
  }
  const given = options ?? {};
  if ('qsh' in given)
    throw new TypeError(`${caller}: options.qsh cannot be set: webhooks are always checked with a strict qsh`);
  const store = given.store ?? defaultStoreView;
  // A webhook's query is signed by the product like its path: strict, so a token cannot be replayed elsewhere.
  const verify: VerifyOptions = { store, qsh: 'strict' };
  for (const key of VERIFY_KEYS) if (given[key] !== undefined) Object.assign(verify, { [key]: given[key] });
  validateVerifyOptions(verify, caller);
  const leaseMs = positive(given.leaseMs, 'leaseMs', caller, DEFAULT_WEBHOOK_LEASE_MS);
  const retentionMs = positive(given.retentionMs, 'retentionMs', caller, DEFAULT_WEBHOOK_RETENTION_MS);
  if (retentionMs <= leaseMs) throw new TypeError(`${caller}: options.retentionMs must be longer than options.leaseMs`);
  const maxBytes = positive(given.maxBodyBytes, 'maxBodyBytes', caller, DEFAULT_MAX_BODY_BYTES);
  const onError = given.onError ?? reportHandlerError;
  if (typeof onError !== 'function') throw new TypeError(`${caller}: options.onError must be a function`);
  const invalid = (message: string, cause?: unknown) => new WebhookDeliveryError(message, { cause });

  return {
    paths: [...routes.keys()],

    async answer(path, request, onVerified) {
      let auth: WebhookAuth | undefined;
      try {
        const route = routes.get(path);
        if (route === undefined) throw new WebhookDeliveryError('no webhook is served at this path');
        const headers = request.stream.headers;
        // The token first: no body is read for a request without a valid one.
        const connectRequest: ConnectRequest = { method: request.method, url: request.url, headers };
        const verified = await verifyRequest(connectRequest, verify);
        const body = await readJsonBody(request.stream, { maxBytes, parsedBody: request.parsedBody, invalid });
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new WebhookDeliveryError('the webhook body is not a JSON object');
        }
        const [event, handler] = routeEvent(route, body as WebhookBody);
        auth = { ...verified, webhook: readDelivery(headers, event) };
        onVerified?.(auth);
        const run = async () => {
          await handler(body as WebhookBody, auth as WebhookAuth);
        };
        const { identifier } = auth.webhook;
        if (identifier === undefined) await handleUnkeyed(run);
        else {
          // The store is resolved per delivery: the default store may be set after setup.
          const values = sharedValuesIn(given.store ?? getDefaultStore());
          const settings: HandleOnceSettings = { values, leaseMs, retentionMs };
          await handleOnce(`webhook:${auth.clientKey}:${identifier}`, settings, run);
        }
        return { status: 204, headers: {} };
      } catch (error) {
        if (error instanceof WebhookHandlerError && auth !== undefined) {
          // The 500 goes out whatever the app's reporter does.
          try {
            onError(error.cause, auth);
          } catch {}
        }
        if (!isConnectJwtError(error)) throw error;
        return toErrorResponse(error);
      }
    },
  };
}
