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
import { atlassianJwt, connectLifecycle, connectWebhooks, forgeRemote } from '@connect-jwt/koa';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

const IDENTITY = { key: 'connect-jwt-koa-example', name: 'connect-jwt Koa example' };

/** The add-on as a Koa app; `startAddon` (or your own server) listens for `app.callback()`. */
export function createApp(options: AddonOptions): Koa {
  const descriptor = exampleDescriptor(options.baseUrl, IDENTITY);
  const auth = { store: options.store, baseUrl: descriptor.baseUrl };
  const { authorizationServerUrl } = options;
  const app = new Koa();
  const router = new Router();

  router.get('/atlassian-connect.json', (ctx) => {
    ctx.body = descriptor;
  });

  // The product loads this in its iframe with a token bound to this exact URL (strict qsh).
  router.get('/hello', atlassianJwt(auth), (ctx) => {
    ctx.type = 'html';
    ctx.body = renderGeneralPage({
      accountId: ctx.state.atlassian.accountId,
      baseUrl: descriptor.baseUrl,
      contextRoute: '/api/context',
      productCallRoute: '/api/myself',
    });
  });

  // Called by the page's script with `AP.context.getToken()`: a context token, not bound to a URL.
  // With Forge on, a Forge UI's `invokeRemote` calls it too (Authorization: Bearer): both kinds.
  router.get('/api/context', atlassianJwt({ ...auth, qsh: 'context', forge: options.forge }), (ctx) => {
    ctx.body = describeCaller(ctx.state.atlassian);
  });

  // Connect on Forge: a product-event trigger of manifest.yml, sent with a Forge Invocation Token.
  if (options.forge) {
    router.post('/forge/events', forgeRemote({ ...options.forge, store: options.store }), bodyParser(), (ctx) => {
      ctx.body = forgeEventAnswer(ctx.state.atlassian, ctx.request.body);
    });
  }

  // A route per webhook of the descriptor: verified (strict qsh), routed by event, handled once
  // however often Jira delivers it; the body is read only after the token is checked.
  const webhooks = exampleWebhooks();
  app.use(connectWebhooks(descriptor, webhooks.handlers, auth));
  // What the webhooks did for the caller's site (the demo shows a duplicate was absorbed).
  router.get('/api/webhooks', atlassianJwt({ ...auth, qsh: 'context' }), (ctx) => {
    ctx.body = { handled: webhooks.handledBy(ctx.state.atlassian.clientKey) };
  });

  // Calls the product's REST API as the add-on, signed with the installation's shared secret.
  router.get('/api/myself', atlassianJwt({ ...auth, qsh: 'context' }), async (ctx) => {
    const { installation } = ctx.state.atlassian;
    const response = await productFetch(installation, { appKey: descriptor.key }, whoAmIPath(installation));
    ctx.status = response.ok ? 200 : 502;
    ctx.body = { productStatus: response.status, product: await response.json() };
  });

  // Calls the product as the signed-in user (OAuth 2.0 impersonation, ACT_AS_USER in the descriptor).
  router.get('/api/myself-as-user', atlassianJwt({ ...auth, qsh: 'context' }), async (ctx) => {
    const answer = await whoAmIAsUser(ctx.state.atlassian, { appKey: descriptor.key, authorizationServerUrl });
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  app.use(connectLifecycle({ baseUrl: descriptor.baseUrl, store: options.store, keyServerUrl: options.keyServerUrl }));
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** Listens on `options.port` (0: any free port) and serves the add-on there. */
export function startAddon(options: StartOptions): Promise<RunningAddon> {
  const { store, keyServerUrl, forge, authorizationServerUrl, ...listen } = options;
  return serveAddon(listen, async (baseUrl) => ({
    handler: createApp({ baseUrl, store, keyServerUrl, forge, authorizationServerUrl }).callback(),
  }));
}
