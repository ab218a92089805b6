import type { AtlassianAuth, ForgeAuth } from '@connect-jwt/core';
import {
  type AdapterOptions,
  type AuthFor,
  type ForgeRemoteOptions,
  forgeRemoteOptions,
  resolveAdapterOptions,
  toConnectRequest,
  toRefusalAnswer,
} from '@connect-jwt/core/adapter';
import type { Middleware, ParameterizedContext } from 'koa';

declare module 'koa' {
  interface DefaultState {
    /**
     * The verified request, set by `atlassianJwt()`: the kinds AtlassianAuthKinds declares. A
     * @koa/router route behind atlassianJwt()/forgeRemote() narrows it to what that route accepts
     * (the route's state is intersected with this). Typed as always present so guarded handlers
     * read it without casts; on a route without the guard it is `undefined`.
     */
    atlassian: AtlassianAuth;
  }
}

/**
 * `ctx.state` after `atlassianJwt()`, for apps that type their state: `new Koa<AtlassianState>()`.
 * With @koa/router the route's middleware adds its own: `ctx.state.atlassian` is then what the route
 * accepts (ConnectAuth; ForgeAuth behind forgeRemote(); the union where both are).
 */
export interface AtlassianState<Auth = AtlassianAuth> {
  atlassian: Auth;
}

export type AtlassianJwtOptions = AdapterOptions;

/**
 * Koa middleware that authenticates requests from an Atlassian product: `app.use(atlassianJwt())`,
 * or per route with @koa/router. The qsh is computed from `ctx.originalUrl`, which mounting and
 * router prefixes leave untouched; set `baseUrl` to the add-on's URL including any mount path.
 * With `passError`, the ConnectJwtError is thrown for upstream error middleware (it has `status`).
 */
export function atlassianJwt<const Options extends AtlassianJwtOptions = Record<never, never>>(
  options?: Options,
): Middleware<AtlassianState<AuthFor<Options>>> {
  const { authenticate, passError, ...refusal } = resolveAdapterOptions(options, 'atlassianJwt');
  return async function atlassianJwtMiddleware(ctx: ParameterizedContext<AtlassianState<AuthFor<Options>>>, next) {
    const body = (ctx.request as { body?: unknown }).body;
    // The kind the options accept, as core's authenticator enforces it (AuthFor mirrors that rule).
    let auth: AuthFor<Options>;
    try {
      auth = (await authenticate(toConnectRequest(ctx.method, ctx.originalUrl, ctx.headers, body))) as AuthFor<Options>;
    } catch (error) {
      if (passError) throw error;
      const answer = toRefusalAnswer(error, ctx.headers.accept, refusal);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
      return;
    }
    ctx.state.atlassian = auth;
    await next();
  };
}

/** Accepts Forge Invocation Tokens only: `router.post('/forge/events', forgeRemote({ appId }), handler)`. */
export function forgeRemote(options: ForgeRemoteOptions): Middleware<AtlassianState<ForgeAuth>> {
  return atlassianJwt({ ...forgeRemoteOptions(options), accept: 'forge' });
}
