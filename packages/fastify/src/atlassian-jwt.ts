import type { AtlassianAuth } from '@connect-jwt/core';
import {
  type AdapterOptions,
  type AuthFor,
  type ResolvedAdapterOptions,
  resolveAdapterOptions,
  toConnectRequest,
  toRefusalAnswer,
} from '@connect-jwt/core/adapter';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

export type AtlassianJwtRouteOptions = AdapterOptions;

export interface AtlassianJwtOptions extends AdapterOptions {
  /**
   * `true` (default, secure by default): every route of the scope is checked, whenever it was
   * declared, unless its `config.atlassianJwt` is `false`. `false`: only routes whose `config.atlassianJwt`
   * is an object, and those that use `app.atlassianJwt.guard()`.
   */
  global?: boolean | undefined;
}

/** A Fastify hook that authenticates the request; usable as `onRequest` or `preHandler`. */
export type AtlassianJwtHook = onRequestAsyncHookHandler;

// The route's `config.atlassianJwt` is part of the request's type (Fastify infers the route's
// ContextConfig from it), so `request.atlassian` is read from there. A route's options inherit
// the plugin's, so a config that names neither `accept` nor `forge` gets the declared kinds.
// Read from the ContextConfig type argument alone: `routeOptions.config` intersects it with
// FastifyContextConfig, whose declared `atlassianJwt` would blur what the route literally says.
// biome-ignore lint/suspicious/noExplicitAny: matching any request type, only ContextConfig is read
type RouteConfigOf<R> = R extends FastifyRequest<any, any, any, any, any, infer Config> ? Config : never;
type RouteAuth<R> =
  RouteConfigOf<R> extends { atlassianJwt: infer Options } ? AuthFor<Options, AtlassianAuth> : AtlassianAuth;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified request: on a route whose `config.atlassianJwt` says what it accepts, exactly
     * that (ForgeAuth for `accept: 'forge'`, the union where both are); elsewhere the kinds
     * AtlassianAuthKinds declares. Typed as always present so guarded handlers read it without
     * casts; on a route without the check it is `null`.
     */
    atlassian: RouteAuth<this>;
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
// The check a route gets, resolved once: a hook, or null for a route the plugin leaves alone.
const ROUTE_CHECK = Symbol('connect-jwt.route-check');

function createHook({ authenticate: verify, passError, ...refusal }: ResolvedAdapterOptions): AtlassianJwtHook {
  const hook = async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    try {
      const connectRequest = toConnectRequest(request.method, request.url, request.headers, request.body);
      (request as { atlassian: AtlassianAuth }).atlassian = (await verify(connectRequest)) as AtlassianAuth;
    } catch (error) {
      if (passError) throw error;
      const answer = toRefusalAnswer(error, request.headers.accept, refusal);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  };
  return Object.assign(hook, { [GUARD]: true });
}

const isGuard = (hook: unknown) => typeof hook === 'function' && GUARD in hook;

type RouteCheck = AtlassianJwtHook | null;
type RouteConfig = { atlassianJwt?: false | AtlassianJwtRouteOptions; [ROUTE_CHECK]?: RouteCheck };

const plugin: FastifyPluginAsync<AtlassianJwtOptions> = async (fastify, options) => {
  const { global: guardAll = true, ...pluginOptions } = options;
  if (typeof guardAll !== 'boolean') throw new TypeError('atlassianJwt: options.global must be a boolean');
  // Validates the plugin options now, so a mistake fails `register`, not a request.
  const defaults = createHook(resolveAdapterOptions(pluginOptions, 'atlassianJwt'));

  const checkFor = (routeConfig: RouteConfig['atlassianJwt'], route: string): RouteCheck => {
    if (routeConfig === false || (routeConfig === undefined && !guardAll)) return null;
    if (routeConfig === undefined) return defaults;
    return createHook(
      resolveAdapterOptions({ ...pluginOptions, ...routeConfig }, `atlassianJwt (route ${route} config.atlassianJwt)`),
    );
  };

  // `null` until a check sets it; `never` fits whatever kinds AtlassianAuthKinds declares.
  fastify.decorateRequest('atlassian', null as never);
  fastify.decorate('atlassianJwt', {
    guard: (routeOptions?: AtlassianJwtRouteOptions) =>
      createHook(resolveAdapterOptions({ ...pluginOptions, ...routeOptions }, 'atlassianJwt.guard')),
  });

  // Routes declared from now on: their check is resolved (and a bad config thrown) at declaration.
  fastify.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as RouteConfig;
    const hooks = [route.onRequest, route.preHandler].flat();
    // A route with a guard() hook of its own is checked by that hook alone.
    const check = hooks.some(isGuard) ? null : checkFor(config.atlassianJwt, `${route.method} ${route.url}`);
    route.config = { ...config, [ROUTE_CHECK]: check } as typeof route.config;
  });

  // Routes declared before the plugin loaded (a `register` not awaited) never passed onRoute: this
  // hook, which every request of the scope passes, resolves theirs on first use, so no route is
  // left open by registration order. A bad config there is thrown at that request (a 500).
  const late = new WeakMap<object, RouteCheck>();
  fastify.addHook('onRequest', function atlassianJwtGate(request, reply, done) {
    // A 404 is Fastify's to answer, not ours.
    if (request.is404) return done();
    const config = request.routeOptions.config as RouteConfig;
    let check = config[ROUTE_CHECK];
    if (check === undefined) {
      check = late.get(config);
      if (check === undefined) {
        try {
          check = checkFor(config.atlassianJwt, `${request.routeOptions.method} ${request.routeOptions.url}`);
        } catch (error) {
          return done(error as Error);
        }
        late.set(config, check);
      }
    }
    if (check === null) return done();
    check.call(this, request, reply).then(() => done(), done);
  });
};

/**
 * Fastify plugin that authenticates requests from an Atlassian product:
 * `await app.register(atlassianJwt, opts)` guards every route of the scope. Runs on `onRequest`, so
 * no body is parsed for a request without a valid token. The qsh is computed from `request.url`
 * (the raw target, prefix included); set `baseUrl` to the add-on's URL including any prefix.
 */
export const atlassianJwt = fp(plugin, { name: '@connect-jwt/fastify', fastify: '5.x' });
