import type { LifecycleOptions } from '@connect-jwt/core';
import { createLifecycleRoutes, type LifecycleEvent } from '@connect-jwt/core/adapter';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export type ConnectLifecycleOptions = LifecycleOptions;

const plugin: FastifyPluginAsync<ConnectLifecycleOptions> = async (fastify, options) => {
  const routes = createLifecycleRoutes(options, 'connectLifecycle');
  // An encapsulated scope, so the body handling below applies to these two routes only.
  await fastify.register(async (scope) => {
    // Leave the body unread: core reads it with its own size limit and content-type check, so
    // every refusal has the same JSON answer as in the other adapters.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const paths: Array<[string, LifecycleEvent]> = [
      [routes.installedPath, 'installed'],
      [routes.uninstalledPath, 'uninstalled'],
    ];
    for (const [url, event] of paths) {
      // The install token is verified here; the shared-secret check of atlassianJwt cannot apply.
      scope.post(url, { config: { atlassianJwt: false } }, async (request, reply) => {
        const answer = await routes.answer(event, { method: request.method, url: request.url, stream: request.raw });
        reply.code(answer.status).headers(answer.headers);
        return answer.body === undefined ? reply.send() : reply.send(answer.body);
      });
    }
  });
};

/**
 * Fastify plugin serving Atlassian's signed `POST /installed` and `POST /uninstalled`:
 * `await app.register(connectLifecycle, { baseUrl })`. The routes opt out of `atlassianJwt`
 * (`config: { atlassianJwt: false }`) since they carry an RS256 install token instead.
 */
export const connectLifecycle = fp(plugin, { name: '@connect-jwt/fastify-lifecycle', fastify: '5.x' });
