import type { WebhookHandlers, WebhookOptions } from '@connect-jwt/core';
import { createLicenseGuard, createWebhookRoutes, type RequireLicenseOptions } from '@connect-jwt/core/adapter';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/**
 * A Fastify plugin serving a POST route for each webhook of the descriptor's `modules.webhooks`:
 * `await app.register(connectWebhooks(descriptor, { 'jira:issue_created': async (issue, { webhook }) => … }))`.
 * Each delivery is verified (strict qsh), routed by event and handled once across the fleet. The
 * routes opt out of `atlassianJwt` (they do the same check with a strict qsh themselves) and read
 * their own body, in their own scope.
 */
export function connectWebhooks(
  descriptor: object,
  handlers: WebhookHandlers,
  options?: WebhookOptions,
): FastifyPluginAsync {
  const routes = createWebhookRoutes(descriptor, handlers, options, 'connectWebhooks');
  return async function connectWebhooksPlugin(scope) {
    if (!scope.hasRequestDecorator('atlassian')) scope.decorateRequest('atlassian', null as never);
    // Core reads the body after the token is checked, with its own size limit and content-type check.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    for (const path of routes.paths) {
      scope.post(path, { config: { atlassianJwt: false } }, async (request, reply) => {
        const stream = request.raw;
        const answer = await routes.answer(path, { method: request.method, url: request.url, stream }, (auth) => {
          request.atlassian = auth;
        });
        reply.code(answer.status).headers(answer.headers);
        return answer.body === undefined ? reply.send() : reply.send(answer.body);
      });
    }
  };
}

/**
 * A `preHandler` that refuses a request whose licence is inactive (402 `ERR_LICENSE_INACTIVE`, the
 * refusal page for a browser); one without a licence passes: `{ preHandler: requireLicense() }`
 * on a route atlassianJwt checks.
 */
export function requireLicense(options?: RequireLicenseOptions): preHandlerAsyncHookHandler {
  const guard = createLicenseGuard(options, 'requireLicense');
  return async function requireLicenseHook(request: FastifyRequest, reply: FastifyReply) {
    const refusal = guard(request.atlassian, request.headers.accept);
    if (refusal !== undefined) return reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
  };
}
