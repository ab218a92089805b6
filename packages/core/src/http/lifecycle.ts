import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { isConnectJwtError } from '../errors.js';
import { createLifecycleHandler, type LifecycleHandler } from '../lifecycle/handler.js';
import type { LifecycleEvent } from '../lifecycle/install-payload.js';
import type { LifecycleOptions } from '../lifecycle/options.js';
import type { ConnectRequest } from '../types/request.js';
import { type HttpAnswer, toErrorResponse } from './error-response.js';
import { readJsonBody } from './json-body.js';

/** The raw lifecycle request as an adapter has it. */
export interface LifecycleHttpRequest {
  method: string;
  /** The raw request target (Express `originalUrl`, Koa `originalUrl`, Fastify `url`). */
  url: string;
  /** The Node request stream the JSON body is read from. */
  stream: Readable & { headers: IncomingHttpHeaders };
  /** A body an app-wide parser already produced, if any. */
  parsedBody?: unknown;
}

/** The lifecycle operations with their HTTP side: which route a request is for, and its answer. */
export interface LifecycleRoutes extends LifecycleHandler {
  /** Which lifecycle event a request is for, if any (for adapters that route by hand). */
  eventFor(method: string, path: string): LifecycleEvent | undefined;
  /**
   * One call end to end: reads the JSON body from the Node stream, verifies, writes, and returns
   * the answer (204, or the error's JSON). Errors that are not a ConnectJwtError (a throwing
   * hook) are rethrown for the framework's error handling.
   */
  answer(event: LifecycleEvent, request: LifecycleHttpRequest): Promise<HttpAnswer>;
}

/** Validates the options once (TypeError naming the option) and returns the two lifecycle routes. */
export function createLifecycleRoutes(options: LifecycleOptions, caller = 'createLifecycleRoutes'): LifecycleRoutes {
  const handler = createLifecycleHandler(options, caller);
  return {
    ...handler,

    eventFor(method, path) {
      if (method.toUpperCase() !== 'POST') return undefined;
      if (path === handler.installedPath) return 'installed';
      if (path === handler.uninstalledPath) return 'uninstalled';
      return undefined;
    },

    async answer(event, request) {
      try {
        const body = await readJsonBody(request.stream, {
          maxBytes: handler.maxBodyBytes,
          parsedBody: request.parsedBody,
        });
        const connectRequest: ConnectRequest = {
          method: request.method,
          url: request.url,
          headers: request.stream.headers,
          body,
        };
        await (event === 'installed' ? handler.installed(connectRequest) : handler.uninstalled(connectRequest));
        return { status: 204, headers: {} };
      } catch (error) {
        if (!isConnectJwtError(error)) throw error;
        return toErrorResponse(error);
      }
    },
  };
}
