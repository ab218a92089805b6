import type { AtlassianAuth } from '@connect-jwt/core';
import {
  type AdapterOptions,
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
     * The verified request, set by `atlassianJwt()`: a ConnectAuth, or a ForgeAuth on routes that
     * accept Forge (narrow on `kind` once AtlassianAuthKinds declares it). Typed as always present
     * so guarded handlers read it without casts; on a route without the guard it is `undefined`.
     */
    atlassian: AtlassianAuth;
  }
}

/** `ctx.state` after `atlassianJwt()`, for apps that type their state: `new Koa<AtlassianState>()`. */
export interface AtlassianState {
  atlassian: AtlassianAuth;
}

export type AtlassianJwtOptions = AdapterOptions;

/**
 * Koa middleware that authenticates requests from an Atlassian product: `app.use(atlassianJwt())`,
 * or per route with @koa/router. The qsh is computed from `ctx.originalUrl`, which mounting and
 * router prefixes leave untouched; set `baseUrl` to the add-on's URL including any mount path.
 * With `passError`, the ConnectJwtError is thrown for upstream error middleware (it has `status`).
 */
export function atlassianJwt(options?: AtlassianJwtOptions): Middleware<AtlassianState> {
  const { authenticate, passError, ...refusal } = resolveAdapterOptions(options, 'atlassianJwt');
  return async function atlassianJwtMiddleware(ctx: ParameterizedContext<AtlassianState>, next) {
    const body = (ctx.request as { body?: unknown }).body;
    let auth: AtlassianAuth;
    try {
      auth = (await authenticate(toConnectRequest(ctx.method, ctx.originalUrl, ctx.headers, body))) as AtlassianAuth;
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
export function forgeRemote(options: ForgeRemoteOptions): Middleware<AtlassianState> {
  return atlassianJwt(forgeRemoteOptions(options));
}
