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
        req.atlassian = auth;
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
