import type { WebhookHandlers, WebhookOptions } from '@connect-jwt/core';
import { createLicenseGuard, createWebhookRoutes, type RequireLicenseOptions } from '@connect-jwt/core/adapter';
import type { Middleware, ParameterizedContext } from 'koa';
import type { AtlassianState } from './atlassian-jwt.js';

/**
 * Koa middleware serving a POST route for each webhook of the descriptor's `modules.webhooks`:
 * `app.use(connectWebhooks(descriptor, { 'jira:issue_created': async (issue, { webhook }) => … }))`.
 * Each delivery is verified (strict qsh), routed by event and handled once across the fleet; it
 * reads its own JSON body unless a body parser already did.
 */
export function connectWebhooks(
  descriptor: object,
  handlers: WebhookHandlers,
  options?: WebhookOptions,
): Middleware<AtlassianState> {
  const routes = createWebhookRoutes(descriptor, handlers, options, 'connectWebhooks');
  const paths = new Set(routes.paths);
  return async function connectWebhook(ctx: ParameterizedContext<AtlassianState>, next) {
    if (ctx.method !== 'POST' || !paths.has(ctx.path)) return next();
    const parsedBody = (ctx.request as { body?: unknown }).body;
    const request = { method: ctx.method, url: ctx.originalUrl, stream: ctx.req, parsedBody };
    const answer = await routes.answer(ctx.path, request, (auth) => {
      ctx.state.atlassian = auth;
    });
    ctx.status = answer.status;
    ctx.set(answer.headers);
    if (answer.body !== undefined) ctx.body = answer.body;
  };
}

/**
 * Refuses a request whose licence is inactive (402 `ERR_LICENSE_INACTIVE`, the refusal page for a
 * browser); one without a licence passes. After atlassianJwt(): `router.get('/panel', atlassianJwt(), requireLicense(), h)`.
 */
export function requireLicense(options?: RequireLicenseOptions): Middleware<AtlassianState> {
  const guard = createLicenseGuard(options, 'requireLicense');
  return async function requireLicenseMiddleware(ctx: ParameterizedContext<AtlassianState>, next) {
    const refusal = guard(ctx.state.atlassian, ctx.headers.accept);
    if (refusal === undefined) return next();
    ctx.status = refusal.status;
    ctx.set(refusal.headers);
    ctx.body = refusal.body;
  };
}
