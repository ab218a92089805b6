import { type ConnectAuth, verifyRequest } from '@connect-jwt/core';
import {
  type AdapterOptions,
  type ResolvedAdapterOptions,
  resolveAdapterOptions,
  toConnectRequest,
  toErrorResponse,
} from '@connect-jwt/core/adapter';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

export type AtlassianJwtRouteOptions = AdapterOptions;

export interface AtlassianJwtOptions extends AdapterOptions {
  /**
   * `true` (default, secure by default): every route registered after the plugin is checked
   * unless its `config.atlassianJwt` is `false`. `false`: only routes whose `config.atlassianJwt`
   * is an object, and those that use `app.atlassianJwt.guard()`.
   */
  global?: boolean | undefined;
}

/** A Fastify hook that authenticates the request; usable as `onRequest` or `preHandler`. */
export type AtlassianJwtHook = onRequestAsyncHookHandler;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified Connect request. Typed as always present so guarded handlers read it
     * without casts; on a route without the check it is `null`.
     */
    atlassian: ConnectAuth;
  }
  interface FastifyInstance {
    atlassianJwt: {
      /** A hook for one route, e.g. `preHandler` after a form body is parsed; options override the plugin's. */
      guard(options?: AtlassianJwtRouteOptions): AtlassianJwtHook;
    };
  }
  interface FastifyContextConfig {
    /** `false`: this route is public; an object: its options override the plugin's. */
    atlassianJwt?: false | AtlassianJwtRouteOptions;
  }
}

const GUARD = Symbol('connect-jwt.guard');

function createHook({ verify, passError, realm }: ResolvedAdapterOptions): AtlassianJwtHook {
  const hook = async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    try {
      const connectRequest = toConnectRequest(request.method, request.url, request.headers, request.body);
      request.atlassian = await verifyRequest(connectRequest, verify);
    } catch (error) {
      if (passError) throw error;
      const answer = toErrorResponse(error, realm);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  };
  return Object.assign(hook, { [GUARD]: true });
}

const isGuard = (hook: unknown) => typeof hook === 'function' && GUARD in hook;

const plugin: FastifyPluginAsync<AtlassianJwtOptions> = async (fastify, options) => {
  const { global: guardAll = true, ...pluginOptions } = options;
  if (typeof guardAll !== 'boolean') throw new TypeError('atlassianJwt: options.global must be a boolean');
  // Validates the plugin options now, so a mistake fails `register`, not a request.
  const defaults = createHook(resolveAdapterOptions(pluginOptions, 'atlassianJwt'));

  fastify.decorateRequest('atlassian', null as unknown as ConnectAuth);
  fastify.decorate('atlassianJwt', {
    guard: (routeOptions?: AtlassianJwtRouteOptions) =>
      createHook(resolveAdapterOptions({ ...pluginOptions, ...routeOptions }, 'atlassianJwt.guard')),
  });

  // Per-route hooks, resolved once when the route is declared: public routes pay nothing.
  fastify.addHook('onRoute', (route) => {
    const routeConfig = route.config?.atlassianJwt;
    if (routeConfig === false || (routeConfig === undefined && !guardAll)) return;
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    // Already guarded (a guard() hook of its own, or the HEAD twin Fastify declares with a GET's hooks).
    if (existing.some(isGuard)) return;
    const hook =
      routeConfig === undefined
        ? defaults
        : createHook(
            resolveAdapterOptions(
              { ...pluginOptions, ...routeConfig },
              `atlassianJwt (route ${route.method} ${route.url} config.atlassianJwt)`,
            ),
          );
    route.onRequest = [...existing, hook];
  });
};

/**
 * Fastify plugin that authenticates requests from an Atlassian product:
 * `await app.register(atlassianJwt, opts)` before the routes it guards. Runs on `onRequest`, so
 * no body is parsed for a request without a valid token. The qsh is computed from `request.url`
 * (the raw target, prefix included); set `baseUrl` to the add-on's URL including any prefix.
 */
export const atlassianJwt = fp(plugin, { name: '@connect-jwt/fastify', fastify: '5.x' });
