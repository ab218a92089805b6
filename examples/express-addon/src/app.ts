import { productFetch } from '@connect-jwt/core';
import {
  type AddonOptions,
  describeCaller,
  exampleDescriptor,
  exampleWebhooks,
  forgeEventAnswer,
  type RunningAddon,
  renderGeneralPage,
  type StartOptions,
  serveAddon,
  whoAmIAsUser,
  whoAmIPath,
} from '@connect-jwt/example-shared';
import { atlassianJwt, connectLifecycle, connectWebhooks, forgeRemote } from '@connect-jwt/express';
import express, { type Express } from 'express';

const IDENTITY = { key: 'connect-jwt-express-example', name: 'connect-jwt Express example' };

/** The add-on as an Express app; `startAddon` (or your own server) listens for it. */
export function createApp(options: AddonOptions): Express {
  const descriptor = exampleDescriptor(options.baseUrl, IDENTITY);
  const auth = { store: options.store, baseUrl: descriptor.baseUrl };
  const { authorizationServerUrl } = options;
  const app = express();

  app.get('/atlassian-connect.json', (_req, res) => {
    res.json(descriptor);
  });

  app.use(connectLifecycle({ baseUrl: descriptor.baseUrl, store: options.store, keyServerUrl: options.keyServerUrl }));

  // The product loads this in its iframe with a token bound to this exact URL (strict qsh).
  app.get('/hello', atlassianJwt(auth), (req, res) => {
    res.type('html').send(
      renderGeneralPage({
        accountId: req.atlassian.accountId,
        baseUrl: descriptor.baseUrl,
        contextRoute: '/api/context',
        productCallRoute: '/api/myself',
      }),
    );
  });

  // Called by the page's script with `AP.context.getToken()`: a context token, not bound to a URL.
  // With Forge on, a Forge UI's `invokeRemote` calls it too (Authorization: Bearer): both kinds.
  app.get('/api/context', atlassianJwt({ ...auth, qsh: 'context', forge: options.forge }), (req, res) => {
    res.json(describeCaller(req.atlassian));
  });

  // Connect on Forge: a product-event trigger of manifest.yml, sent with a Forge Invocation Token.
  if (options.forge) {
    app.post('/forge/events', forgeRemote({ ...options.forge, store: options.store }), express.json(), (req, res) => {
      res.json(forgeEventAnswer(req.atlassian, req.body));
    });
  }

  // A route per webhook of the descriptor: verified (strict qsh), routed by event, handled once
  // however often Jira delivers it; the body is read only after the token is checked.
  const webhooks = exampleWebhooks();
  app.use(connectWebhooks(descriptor, webhooks.handlers, auth));
  // What the webhooks did for the caller's site (the demo shows a duplicate was absorbed).
  app.get('/api/webhooks', atlassianJwt({ ...auth, qsh: 'context' }), (req, res) => {
    res.json({ handled: webhooks.handledBy(req.atlassian.clientKey) });
  });

  // Calls the product's REST API as the add-on, signed with the installation's shared secret.
  app.get('/api/myself', atlassianJwt({ ...auth, qsh: 'context' }), async (req, res) => {
    const { installation } = req.atlassian;
    const response = await productFetch(installation, { appKey: descriptor.key }, whoAmIPath(installation));
    res.status(response.ok ? 200 : 502).json({ productStatus: response.status, product: await response.json() });
  });

  // Calls the product as the signed-in user (OAuth 2.0 impersonation, ACT_AS_USER in the descriptor).
  app.get('/api/myself-as-user', atlassianJwt({ ...auth, qsh: 'context' }), async (req, res) => {
    const answer = await whoAmIAsUser(req.atlassian, { appKey: descriptor.key, authorizationServerUrl });
    res.status(answer.status).json(answer.body);
  });

  return app;
}

/** Listens on `options.port` (0: any free port) and serves the add-on there. */
export function startAddon(options: StartOptions): Promise<RunningAddon> {
  const { store, keyServerUrl, forge, authorizationServerUrl, ...listen } = options;
  return serveAddon(listen, async (baseUrl) => ({
    handler: createApp({ baseUrl, store, keyServerUrl, forge, authorizationServerUrl }),
  }));
}
