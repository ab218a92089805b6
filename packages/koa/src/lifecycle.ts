import type { LifecycleOptions } from '@connect-jwt/core';
import { createLifecycleRoutes } from '@connect-jwt/core/adapter';
import type { Middleware } from 'koa';

export type ConnectLifecycleOptions = LifecycleOptions;

/**
 * Koa middleware serving Atlassian's signed `POST /installed` and `POST /uninstalled`:
 * `app.use(connectLifecycle({ baseUrl }))`. It parses its own JSON body; installs land in the
 * store `atlassianJwt()` reads (the default one unless given). Other requests pass through.
 */
export function connectLifecycle(options: ConnectLifecycleOptions): Middleware {
  const routes = createLifecycleRoutes(options, 'connectLifecycle');
  return async function connectLifecycleMiddleware(ctx, next) {
    const event = routes.eventFor(ctx.method, ctx.path);
    if (event === undefined) return next();
    const answer = await routes.answer(event, {
      method: ctx.method,
      url: ctx.originalUrl,
      stream: ctx.req,
      parsedBody: (ctx.request as { body?: unknown }).body,
    });
    ctx.status = answer.status;
    ctx.set(answer.headers);
    if (answer.body !== undefined) ctx.body = answer.body;
  };
}
