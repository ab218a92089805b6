// The Koa add-ons the shared tables run against (see @connect-jwt/adapter-test-suite).
import {
  ADDON_BASE_URL,
  type BehaviourApp,
  describeAuth,
  describeLicense,
  type ForgeApp,
  type FormApp,
  type LicenseApp,
  type LifecycleApps,
  listen,
  REALM,
  storeWithInstallation,
  type WebhookApps,
  WHOAMI,
} from '@connect-jwt/adapter-test-suite';
import { atlassianJwt, connectLifecycle, connectWebhooks, forgeRemote, requireLicense } from '@connect-jwt/koa';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';

interface ErrorLike {
  status?: number;
  code?: string;
}

const behaviour: BehaviourApp = async (fixture) => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const { status, code } = error as ErrorLike;
      ctx.status = status ?? 500;
      ctx.set('x-handled-by', 'app');
      ctx.body = { code };
    }
  });
  const whoami = (ctx: Koa.ParameterizedContext) => {
    ctx.body = { clientKey: ctx.state.atlassian.clientKey, accountId: ctx.state.atlassian.accountId };
  };
  const root = new Router();
  root.get('/public', (ctx) => {
    ctx.body = { clientKey: null };
  });
  root.get('/panel', atlassianJwt({ qsh: 'context' }), whoami);
  root.get('/skip', atlassianJwt({ qsh: 'skip' }), whoami);
  root.get('/flaky', atlassianJwt({ store: fixture.flaky }), whoami);
  root.get('/passerror', atlassianJwt({ passError: true }), whoami);
  const api = new Router({ prefix: '/api' });
  api.use(atlassianJwt({ realm: REALM }));
  api.get('/data', whoami);
  api.post('/data', whoami);
  const addon = new Router({ prefix: '/addon' });
  addon.use(atlassianJwt({ baseUrl: ADDON_BASE_URL }));
  addon.get('/data', whoami);
  app.use(root.routes()).use(api.routes()).use(addon.routes());
  return listen(app.listen(0, '127.0.0.1'));
};

const lifecycle: LifecycleApps = {
  async start(options) {
    const app = new Koa();
    app.use(connectLifecycle(options));
    const router = new Router();
    router.get(WHOAMI, atlassianJwt(), (ctx) => {
      ctx.body = { clientKey: ctx.state.atlassian.clientKey };
    });
    app.use(router.routes());
    return listen(app.listen(0, '127.0.0.1'));
  },
  async startMounted(options) {
    const app = new Koa();
    app.use(connectLifecycle({ ...options, installedPath: '/addon/installed', uninstalledPath: '/addon/uninstalled' }));
    return listen(app.listen(0, '127.0.0.1'));
  },
};

const forms: FormApp = async (formParams) => {
  const app = new Koa();
  app.use(bodyParser());
  const guard = atlassianJwt({ store: await storeWithInstallation(), formParams });
  app.use(async (ctx, next) =>
    guard(ctx, async () => {
      ctx.body = { body: (ctx.request as { body?: unknown }).body };
      await next();
    }),
  );
  return listen(app.listen(0, '127.0.0.1'));
};

const forge: ForgeApp = async ({ forge: options, store }) => {
  const app = new Koa();
  const router = new Router();
  const describe = (ctx: Koa.ParameterizedContext) => {
    ctx.body = describeAuth(ctx.state.atlassian);
  };
  router.post('/forge/events', forgeRemote({ ...options, store }), describe);
  router.post('/forge/production', forgeRemote({ ...options, store, environments: ['PRODUCTION'] }), describe);
  router.get('/api/both', atlassianJwt({ qsh: 'context', store, forge: options }), describe);
  router.get('/api/connect', atlassianJwt({ qsh: 'context', store }), describe);
  app.use(router.routes());
  return listen(app.listen(0, '127.0.0.1'));
};

// No body parser: connectWebhooks reads the JSON body itself.
const webhooks: WebhookApps = {
  create: connectWebhooks,
  async start(descriptor, handlers, options) {
    const app = new Koa();
    app.use(connectWebhooks(descriptor, handlers, options));
    return listen(app.listen(0, '127.0.0.1'));
  },
};

const license: LicenseApp = async ({ forge: options, store }) => {
  const app = new Koa();
  const router = new Router();
  const describe = (ctx: Koa.ParameterizedContext) => {
    ctx.body = describeLicense(ctx.state.atlassian);
  };
  router.get('/page', atlassianJwt({ store }), describe);
  router.get('/licensed', atlassianJwt({ store }), requireLicense(), describe);
  router.get('/context', atlassianJwt({ store, qsh: 'context' }), describe);
  router.post('/forge/licensed', forgeRemote({ ...options, store }), requireLicense(), describe);
  app.use(router.routes());
  return listen(app.listen(0, '127.0.0.1'));
};

export const koaApps = { behaviour, lifecycle, forms, forge, webhooks, license };
