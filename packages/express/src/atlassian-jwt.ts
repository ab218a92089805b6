import { IncomingMessage } from 'node:http';
import type { AtlassianAuth } from '@connect-jwt/core';
import {
  type AdapterOptions,
  type ForgeRemoteOptions,
  forgeRemoteOptions,
  resolveAdapterOptions,
  toConnectRequest,
  toRefusalAnswer,
} from '@connect-jwt/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified request, set by `atlassianJwt()`: a ConnectAuth, or a ForgeAuth on routes that
       * accept Forge (narrow on `kind` once AtlassianAuthKinds declares it). Typed as always present
       * so guarded handlers read it without casts; on a route without the guard it is `undefined`.
       */
      atlassian: AtlassianAuth;
    }
  }
}

export type AtlassianJwtOptions = AdapterOptions;

/**
 * Express middleware that authenticates requests from an Atlassian product:
 * `app.use(atlassianJwt())`, or per route `app.get('/panel', atlassianJwt({ qsh: 'context' }), handler)`.
 * Under a sub-path mount, set `baseUrl` to the add-on's URL including that path: the qsh is
 * computed from `req.originalUrl`, the target the product signed.
 */
export function atlassianJwt(options?: AtlassianJwtOptions): RequestHandler {
  const { authenticate, passError, ...refusal } = resolveAdapterOptions(options, 'atlassianJwt');
  return function atlassianJwtMiddleware(req: Request, res: Response, next: NextFunction): void {
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
}

/** Accepts Forge Invocation Tokens only: `app.post('/forge/events', forgeRemote({ appId }), handler)`. */
export function forgeRemote(options: ForgeRemoteOptions): RequestHandler {
  return atlassianJwt(forgeRemoteOptions(options));
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
  req.atlassian = auth;
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
