// The Fastify add-ons the shared tables run against (see @connect-jwt/adapter-test-suite).
import type { AddressInfo } from 'node:net';
import {
  ADDON_BASE_URL,
  type BehaviourApp,
  describeAuth,
  describeLicense,
  type ForgeApp,
  type LicenseApp,
  type LifecycleApps,
  REALM,
  type RunningServer,
  type WebhookApps,
  WHOAMI,
} from '@connect-jwt/adapter-test-suite';
import { atlassianJwt, connectLifecycle, connectWebhooks, requireLicense } from '@connect-jwt/fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

interface ErrorLike {
  status?: number;
  code?: string;
}

async function listenFastify(app: FastifyInstance): Promise<RunningServer> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const behaviour: BehaviourApp = async (fixture) => {
  const app = Fastify();
  // Secure by default: every route below is checked unless its config opts out.
  await app.register(atlassianJwt, { realm: REALM });
  app.setErrorHandler((error: ErrorLike, _request, reply) => {
    return reply
      .code(error.status ?? 500)
      .header('x-handled-by', 'app')
      .send({ code: error.code });
  });
  const whoami = async (request: FastifyRequest, _reply: FastifyReply) => ({
    clientKey: request.atlassian.clientKey,
    accountId: request.atlassian.accountId,
  });
  app.get('/public', { config: { atlassianJwt: false } }, async () => ({ clientKey: null }));
  app.get('/api/data', whoami);
  app.post('/api/data', whoami);
  app.get('/panel', { config: { atlassianJwt: { qsh: 'context' } } }, whoami);
  app.get('/skip', { config: { atlassianJwt: { qsh: 'skip' } } }, whoami);
  app.get('/flaky', { config: { atlassianJwt: { store: fixture.flaky } } }, whoami);
  app.get('/passerror', { config: { atlassianJwt: { passError: true } } }, whoami);
  await app.register(
    async (scope) => {
      scope.get('/data', { config: { atlassianJwt: { baseUrl: ADDON_BASE_URL } } }, whoami);
    },
    { prefix: '/addon' },
  );
  return listenFastify(app);
};

const lifecycle: LifecycleApps = {
  async start(options) {
    const app = Fastify();
    // Secure by default: every route is guarded, so the lifecycle routes must opt out themselves.
    await app.register(atlassianJwt);
    await app.register(connectLifecycle, options);
    app.get(WHOAMI, async (request) => ({ clientKey: request.atlassian.clientKey }));
    return listenFastify(app);
  },
  async startMounted(options) {
    const app = Fastify();
    await app.register(connectLifecycle, {
      ...options,
      installedPath: '/addon/installed',
      uninstalledPath: '/addon/uninstalled',
    });
    return listenFastify(app);
  },
};

// Plugin options hold the Forge settings for a scope; per-route config narrows a route to FITs.
const forge: ForgeApp = async ({ forge: options, store }) => {
  const app = Fastify();
  await app.register(atlassianJwt, { qsh: 'context', store, forge: options });
  const describe = async (request: FastifyRequest) => describeAuth(request.atlassian);
  app.post('/forge/events', { config: { atlassianJwt: { accept: 'forge' } } }, describe);
  app.post(
    '/forge/production',
    { config: { atlassianJwt: { accept: 'forge', forge: { ...options, environments: ['PRODUCTION'] } } } },
    describe,
  );
  app.get('/api/both', describe);
  app.get('/api/connect', { config: { atlassianJwt: { accept: 'connect' } } }, describe);
  return listenFastify(app);
};

// Beside a global atlassianJwt, as an app has it: the webhook routes opt out and check themselves.
const webhooks: WebhookApps = {
  create: connectWebhooks,
  async start(descriptor, handlers, options) {
    const app = Fastify();
    await app.register(atlassianJwt, { store: options.store });
    await app.register(connectWebhooks(descriptor, handlers, options));
    return listenFastify(app);
  },
};

const license: LicenseApp = async ({ forge: options, store }) => {
  const app = Fastify();
  await app.register(atlassianJwt, { store, forge: options });
  const describe = async (request: FastifyRequest) => describeLicense(request.atlassian);
  app.get('/page', describe);
  app.get('/licensed', { preHandler: requireLicense() }, describe);
  app.get('/context', { config: { atlassianJwt: { qsh: 'context' } } }, describe);
  app.post(
    '/forge/licensed',
    { config: { atlassianJwt: { accept: 'forge' } }, preHandler: requireLicense() },
    describe,
  );
  return listenFastify(app);
};

export const fastifyApps = { behaviour, lifecycle, forge, webhooks, license };
