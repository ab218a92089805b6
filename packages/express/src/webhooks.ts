import type { WebhookHandlers, WebhookOptions } from '@connect-jwt/core';
import { createLicenseGuard, createWebhookRoutes, type RequireLicenseOptions } from '@connect-jwt/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Express middleware serving a POST route for each webhook of the descriptor's `modules.webhooks`:
 * `app.use(connectWebhooks(descriptor, { 'jira:issue_created': async (issue, { webhook }) => … }))`.
 * Each delivery is verified (strict qsh), routed by event and handled once across the fleet; it
 * parses its own JSON body, so no body parser is needed.
 */
export function connectWebhooks(
  descriptor: object,
  handlers: WebhookHandlers,
  options?: WebhookOptions,
): RequestHandler {
  const routes = createWebhookRoutes(descriptor, handlers, options, 'connectWebhooks');
  const paths = new Set(routes.paths);
  // A plain middleware, not a Router: matched exactly, as in Koa and Fastify (a descriptor URL is
  // a path, not an Express pattern), and every other request passes on in the same tick.
  return function connectWebhook(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'POST' || !paths.has(req.path)) {
      next();
      return;
    }
    const request = { method: req.method, url: req.originalUrl, stream: req, parsedBody: req.body };
    routes
      .answer(req.path, request, (auth) => {
        req.atlassian = auth;
      })
      .then((answer) => {
        res.status(answer.status).set(answer.headers);
        if (answer.body === undefined) res.end();
        else res.send(JSON.stringify(answer.body));
      }, next);
  };
}

/**
 * Refuses a request whose licence is inactive (402 `ERR_LICENSE_INACTIVE`, the refusal page for a
 * browser); one without a licence passes. After atlassianJwt(): `app.get('/panel', atlassianJwt(), requireLicense(), h)`.
 */
export function requireLicense(options?: RequireLicenseOptions): RequestHandler {
  const guard = createLicenseGuard(options, 'requireLicense');
  return function requireLicenseMiddleware(req: Request, res: Response, next: NextFunction): void {
    const refusal = guard(req.atlassian, req.headers.accept);
    if (refusal === undefined) next();
    else res.status(refusal.status).set(refusal.headers).send(refusal.body);
  };
}
