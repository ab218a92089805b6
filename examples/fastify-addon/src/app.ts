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
import { atlassianJwt, connectLifecycle, connectWebhooks } from '@connect-jwt/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

const IDENTITY = { key: 'connect-jwt-fastify-example', name: 'connect-jwt Fastify example' };

/** The add-on as a Fastify instance; `startAddon` (or `app.listen`) serves it. */
export async function createApp(options: AddonOptions): Promise<FastifyInstance> {
  const descriptor = exampleDescriptor(options.baseUrl, IDENTITY);
  const app = Fastify();

  await app.register(connectLifecycle, {
    baseUrl: descriptor.baseUrl,
    store: options.store,
    keyServerUrl: options.keyServerUrl,
  });
  // Every route below is authenticated unless its config says otherwise.
  await app.register(atlassianJwt, { store: options.store, baseUrl: descriptor.baseUrl });

  app.get('/atlassian-connect.json', { config: { atlassianJwt: false } }, async () => descriptor);

  // The product loads this in its iframe with a token bound to this exact URL (strict qsh).
  app.get('/hello', async (request, reply) =>
    reply.type('text/html').send(
      renderGeneralPage({
        accountId: request.atlassian.accountId,
        baseUrl: descriptor.baseUrl,
        contextRoute: '/api/context',
        productCallRoute: '/api/myself',
      }),
    ),
  );

  // Called by the page's script with `AP.context.getToken()`: a context token, not bound to a URL.
  // With Forge on, a Forge UI's `invokeRemote` calls it too (Authorization: Bearer): both kinds.
  app.get('/api/context', { config: { atlassianJwt: { qsh: 'context', forge: options.forge } } }, async (request) =>
    describeCaller(request.atlassian),
  );

  // Connect on Forge: a product-event trigger of manifest.yml, sent with a Forge Invocation Token.
  if (options.forge) {
    app.post(
      '/forge/events',
      { config: { atlassianJwt: { accept: 'forge', forge: options.forge } } },
      async (request) => forgeEventAnswer(request.atlassian, request.body),
    );
  }

  // A route per webhook of the descriptor: verified (strict qsh), routed by event, handled once
  // however often Jira delivers it; the body is read only after the token is checked.
  const webhooks = exampleWebhooks();
  await app.register(
    connectWebhooks(descriptor, webhooks.handlers, { store: options.store, baseUrl: descriptor.baseUrl }),
  );
  // What the webhooks did for the caller's site (the demo shows a duplicate was absorbed).
  app.get('/api/webhooks', { config: { atlassianJwt: { qsh: 'context' } } }, async (request) => ({
    handled: webhooks.handledBy(request.atlassian.clientKey),
  }));

  // Calls the product's REST API as the add-on, signed with the installation's shared secret.
  app.get('/api/myself', { config: { atlassianJwt: { qsh: 'context' } } }, async (request, reply) => {
    const { installation } = request.atlassian;
    const response = await productFetch(installation, { appKey: descriptor.key }, whoAmIPath(installation));
    return reply
      .status(response.ok ? 200 : 502)
      .send({ productStatus: response.status, product: await response.json() });
  });

  // Calls the product as the signed-in user (OAuth 2.0 impersonation, ACT_AS_USER in the descriptor).
  app.get('/api/myself-as-user', { config: { atlassianJwt: { qsh: 'context' } } }, async (request, reply) => {
    const answer = await whoAmIAsUser(request.atlassian, {
      appKey: descriptor.key,
      authorizationServerUrl: options.authorizationServerUrl,
    });
    return reply.status(answer.status).send(answer.body);
  });

  return app;
}

/** Listens on `options.port` (0: any free port) and serves the add-on there. */
export function startAddon(options: StartOptions): Promise<RunningAddon> {
  const { store, keyServerUrl, forge, authorizationServerUrl, ...listen } = options;
  return serveAddon(listen, async (baseUrl) => {
    const app = await createApp({ baseUrl, store, keyServerUrl, forge, authorizationServerUrl });
    await app.ready();
    // The server already listens (its port fixes the base URL), so Fastify serves through its router.
    return { handler: (req, res) => app.routing(req, res), close: () => app.close() };
  });
}
