import { IncomingMessage } from 'node:http';
import {
  type AdapterOptions,
  type ConnectAuth,
  resolveAdapterOptions,
  toConnectRequest,
  toErrorResponse,
  verifyRequest,
} from '@connect-jwt/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified Connect request, set by `atlassianJwt()`. Typed as always present so guarded
       * handlers read it without casts; on a route without the guard it is `undefined`.
       */
      atlassian: ConnectAuth;
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
  const { verify, passError, realm } = resolveAdapterOptions(options, 'atlassianJwt');
  return function atlassianJwtMiddleware(req: Request, res: Response, next: NextFunction): void {
    const request = toConnectRequest(req.method, req.originalUrl, req.headers, req.body);
    verifyRequest(request, verify).then(
      (auth) => {
        rememberAuth(req, auth);
        next();
      },
      (error: unknown) => {
        if (passError) return next(error);
        const answer = toErrorResponse(error, realm);
        res.status(answer.status).set(answer.headers).send(JSON.stringify(answer.body));
      },
    );
  };
}

// Express swaps the prototype of every request (Object.setPrototypeOf), after which adding an own
// property costs V8 microseconds per request, as much as the whole token check. So the result
// lives in a WeakMap behind an accessor on Express's shared request prototype (`express.request`,
// below every app's and sub-app's `app.request`). It also keeps the token out of `{ ...req }` logs.
const verifiedRequests = new WeakMap<object, ConnectAuth>();
let lastPrototype: object | null = null;

function rememberAuth(req: Request, auth: ConnectAuth): void {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype !== lastPrototype && !defineAccessorBelow(prototype)) {
    req.atlassian = auth; // not an Express request (e.g. a hand-made one in a test): a plain property
    return;
  }
  lastPrototype = prototype;
  verifiedRequests.set(req, auth);
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
      get(this: object) {
        return verifiedRequests.get(this);
      },
      set(this: object, value: ConnectAuth) {
        verifiedRequests.set(this, value);
      },
    });
  }
  return true;
}
