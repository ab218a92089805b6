import { IncomingMessage } from 'node:http';
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
import type { NextFunction, Request, RequestHandler, Response } from 'express';

// Express has one global request type, so `req.atlassian` reads the route's kind from the
// request's own type parameters: atlassianJwt()/forgeRemote() return a handler whose `Locals` type
// carries the kind they accept (a type-only brand), Express infers the route's `Locals` from it,
// and handlers after it see `req.atlassian` as that kind. No cast, no runtime guard.
declare const routeAuth: unique symbol;

/** Type-only: the `res.locals` type of a route behind atlassianJwt()/forgeRemote(), naming what it accepts. */
export interface AtlassianRouteLocals<Auth> {
  // Optional, so Express's own handler types (whose locals have no brand) still accept these handlers.
  readonly [routeAuth]?: Auth;
}

type ResponseOf<R> = R extends { res?: infer Res } ? NonNullable<Res> : never;
type LocalsOf<R> = ResponseOf<R> extends { locals: infer Locals } ? Locals : never;
/** The kind a route accepts; where the route does not say (`app.use(atlassianJwt())`), the declared kinds. */
type RouteAuth<R> =
  LocalsOf<R> extends { readonly [routeAuth]?: infer Auth }
    ? unknown extends Auth
      ? AtlassianAuth
      : Auth
    : AtlassianAuth;

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified request, set by `atlassianJwt()`: on a route behind it, exactly what the route
       * accepts (ConnectAuth; ForgeAuth behind forgeRemote(); the union where both are). Typed as
       * always present so guarded handlers read it without casts; without the guard it is `undefined`.
       */
      atlassian: RouteAuth<this>;
    }
  }
}

/**
 * The request of a route behind atlassianJwt()/forgeRemote(), for a handler written apart from its
 * route: `function onEvent(req: AtlassianRequest<ForgeAuth>, res: Response) { req.atlassian.installationId }`.
 */
export type AtlassianRequest<Auth = AtlassianAuth> = Request<
  Request['params'],
  Request['body'],
  Request['body'],
  Request['query'],
  AtlassianRouteLocals<Auth>
>;

/** The handler atlassianJwt()/forgeRemote() return: an Express handler whose route accepts `Auth`. */
// Every other parameter is Express's default (`Request['body']` is its `any`), so a route's own handlers keep theirs.
export type AtlassianRequestHandler<Auth> = RequestHandler<
  Request['params'],
  Request['body'],
  Request['body'],
  Request['query'],
  AtlassianRouteLocals<Auth>
>;

export type AtlassianJwtOptions = AdapterOptions;

/**
 * Express middleware that authenticates requests from an Atlassian product:
 * `app.use(atlassianJwt())`, or per route `app.get('/panel', atlassianJwt({ qsh: 'context' }), handler)`.
 * Under a sub-path mount, set `baseUrl` to the add-on's URL including that path: the qsh is
 * computed from `req.originalUrl`, the target the product signed.
 */
export function atlassianJwt<const Options extends AtlassianJwtOptions = Record<never, never>>(
  options?: Options,
): AtlassianRequestHandler<AuthFor<Options>> {
  const { authenticate, passError, ...refusal } = resolveAdapterOptions(options, 'atlassianJwt');
  const middleware: RequestHandler = function atlassianJwtMiddleware(req: Request, res: Response, next: NextFunction) {
    const request = toConnectRequest(req.method, req.originalUrl, req.headers, req.body);
    authenticate(request).then(
      (auth) => {
        rememberAuth(req, auth as AtlassianAuth);
        next();
      },
      (error: unknown) => {
        if (passError) return next(error);
        // A throw here (an app's refusal page) would be an unhandled rejection, ending the process.
        try {
          const answer = toRefusalAnswer(error, req.headers.accept, refusal);
          res.status(answer.status).set(answer.headers).send(answer.body);
        } catch (failure) {
          next(failure);
        }
      },
    );
  };
  // The brand is type-only: this is the same handler, typed with the kind its options accept.
  return middleware as AtlassianRequestHandler<AuthFor<Options>>;
}

/** Accepts Forge Invocation Tokens only: `app.post('/forge/events', forgeRemote({ appId }), handler)`. */
export function forgeRemote(options: ForgeRemoteOptions): AtlassianRequestHandler<ForgeAuth> {
  return atlassianJwt({ ...forgeRemoteOptions(options), accept: 'forge' });
}

// Express swaps the prototype of every request (Object.setPrototypeOf), after which adding an own
// property costs V8 microseconds per request, as much as the whole token check; a WeakMap of
// requests costs as much again in GC. So the result goes into `res.locals` (a dictionary Express
// creates per request) under a symbol, read through an accessor on Express's shared request
// prototype (`express.request`, below every app's and sub-app's `app.request`). This also keeps
// the token out of `{ ...req }` logs and JSON views of res.locals.
const AUTH = Symbol('connect-jwt.auth');
type WithLocals = { res?: { locals?: Record<symbol, unknown> } };
let lastPrototype: object | null = null;

function rememberAuth(req: Request, auth: AtlassianAuth): void {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype === lastPrototype || defineAccessorBelow(prototype)) lastPrototype = prototype;
  // With the accessor in place this assignment runs its setter; otherwise it is a plain property.
  (req as { atlassian: AtlassianAuth }).atlassian = auth;
}

/** Puts the `atlassian` accessor on the prototype just above IncomingMessage's; false when there is none. */
function defineAccessorBelow(prototype: object | null): boolean {
  let current = prototype;
  while (current !== null && Object.getPrototypeOf(current) !== IncomingMessage.prototype) {
    current = Object.getPrototypeOf(current) as object | null;
  }
  if (current === null) return false;
  if (!Object.hasOwn(current, 'atlassian')) {
    Object.defineProperty(current, 'atlassian', {
      configurable: true,
      get(this: WithLocals) {
        return this.res?.locals?.[AUTH];
      },
      set(this: WithLocals, value: AtlassianAuth) {
        const locals = this.res?.locals;
        if (locals) locals[AUTH] = value;
        else Object.defineProperty(this, 'atlassian', { value, writable: true, configurable: true, enumerable: true });
      },
    });
  }
  return true;
}
