import type { LifecycleOptions } from '@connect-jwt/core';
import { createLifecycleRoutes, type HttpAnswer } from '@connect-jwt/core/adapter';
import { type NextFunction, type Request, type Response, Router } from 'express';

export type ConnectLifecycleOptions = LifecycleOptions;

function send(res: Response, answer: HttpAnswer): void {
  res.status(answer.status).set(answer.headers);
  if (answer.body === undefined) res.end();
  else res.send(JSON.stringify(answer.body));
}

/**
 * Express Router serving Atlassian's signed `POST /installed` and `POST /uninstalled`:
 * `app.use(connectLifecycle({ baseUrl }))`. It parses its own JSON body, so no body parser
 * is needed; installs land in the store `atlassianJwt()` reads (the default one unless given).
 */
export function connectLifecycle(options: ConnectLifecycleOptions): Router {
  const routes = createLifecycleRoutes(options, 'connectLifecycle');
  const router = Router();
  router.use(function connectLifecycleRoute(req: Request, res: Response, next: NextFunction) {
    const event = routes.eventFor(req.method, req.path);
    if (event === undefined) return next();
    routes
      .answer(event, { method: req.method, url: req.originalUrl, stream: req, parsedBody: req.body })
      .then((answer) => send(res, answer), next);
  });
  return router;
}
