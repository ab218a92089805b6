import { type ConnectAuth, verifyRequest } from '@connect-jwt/core';
import {
  type AdapterOptions,
  resolveAdapterOptions,
  toConnectRequest,
  toRefusalAnswer,
} from '@connect-jwt/core/adapter';
import type { Middleware, ParameterizedContext } from 'koa';

declare module 'koa' {
  interface DefaultState {
    /**
     * The verified Connect request, set by `atlassianJwt()`. Typed as always present so guarded
     * handlers read it without casts; on a route without the guard it is `undefined`.
     */
    atlassian: ConnectAuth;
  }
}

/** `ctx.state` after `atlassianJwt()`, for apps that type their state: `new Koa<AtlassianState>()`. */
export interface AtlassianState {
  atlassian: ConnectAuth;
}

export type AtlassianJwtOptions = AdapterOptions;

/**
 * Koa middleware that authenticates requests from an Atlassian product: `app.use(atlassianJwt())`,
 * or per route with @koa/router. The qsh is computed from `ctx.originalUrl`, which mounting and
 * router prefixes leave untouched; set `baseUrl` to the add-on's URL including any mount path.
 * With `passError`, the ConnectJwtError is thrown for upstream error middleware (it has `status`).
 */
export function atlassianJwt(options?: AtlassianJwtOptions): Middleware<AtlassianState> {
  const { verify, passError, ...refusal } = resolveAdapterOptions(options, 'atlassianJwt');
  return async function atlassianJwtMiddleware(ctx: ParameterizedContext<AtlassianState>, next) {
    const body = (ctx.request as { body?: unknown }).body;
    let auth: ConnectAuth;
    try {
      auth = await verifyRequest(toConnectRequest(ctx.method, ctx.originalUrl, ctx.headers, body), verify);
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
