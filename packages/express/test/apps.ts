// The Express add-ons the shared tables run against (see @connect-jwt/adapter-test-suite).
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
import {
  type AtlassianRequest,
  atlassianJwt,
  type ConnectAuth,
  connectLifecycle,
  connectWebhooks,
  type ForgeAuth,
  forgeRemote,
  requireLicense,
} from '@connect-jwt/express';
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';

interface ErrorLike {
  status?: number;
  code?: string;
}

const behaviour: BehaviourApp = async (fixture) => {
  const app = express();
  const whoami = (req: Request, res: Response) => {
    res.json({ clientKey: req.atlassian.clientKey, accountId: req.atlassian.accountId });
  };
  app.get('/public', (_req, res) => {
    res.json({ clientKey: null });
  });
  app.use('/api', atlassianJwt({ realm: REALM }));
  app.get('/api/data', whoami);
  app.post('/api/data', whoami);
  app.get('/panel', atlassianJwt({ qsh: 'context' }), whoami);
  app.get('/skip', atlassianJwt({ qsh: 'skip' }), whoami);
  app.get('/flaky', atlassianJwt({ store: fixture.flaky }), whoami);
  app.get('/passerror', atlassianJwt({ passError: true }), whoami);
  const addon = express.Router();
  addon.use(atlassianJwt({ baseUrl: ADDON_BASE_URL }));
  addon.get('/data', whoami);
  app.use('/addon', addon);
  const onError: ErrorRequestHandler = (error: ErrorLike, _req, res, _next) => {
    res
      .status(error.status ?? 500)
      .set('x-handled-by', 'app')
      .json({ code: error.code });
  };
  app.use(onError);
  return listen(app.listen(0, '127.0.0.1'));
};

const lifecycle: LifecycleApps = {
  async start(options) {
    const app = express();
    app.use(connectLifecycle(options));
    app.get(WHOAMI, atlassianJwt(), (req, res) => {
      res.json({ clientKey: req.atlassian.clientKey });
    });
    return listen(app.listen(0, '127.0.0.1'));
  },
  // A sub-app behind an app-wide `express.json()`: the body arrives already parsed.
  async startMounted(options) {
    const app = express();
    app.use(express.json());
    app.use('/addon', connectLifecycle(options));
    return listen(app.listen(0, '127.0.0.1'));
  },
};

const forms: FormApp = async (formParams) => {
  const app = express();
  app.use(express.urlencoded({ extended: true }));
  app.post('/submit', atlassianJwt({ store: await storeWithInstallation(), formParams }), (req, res) => {
    res.json({ body: req.body });
  });
  return listen(app.listen(0, '127.0.0.1'));
};

const forge: ForgeApp = async ({ forge: options, store }) => {
  const app = express();
  const describe = (req: AtlassianRequest<ConnectAuth | ForgeAuth>, res: Response) => {
    res.json(describeAuth(req.atlassian));
  };
  app.post('/forge/events', forgeRemote({ ...options, store }), describe);
  app.post('/forge/production', forgeRemote({ ...options, store, environments: ['PRODUCTION'] }), describe);
  app.get('/api/both', atlassianJwt({ qsh: 'context', store, forge: options }), describe);
  app.get('/api/connect', atlassianJwt({ qsh: 'context', store }), describe);
  return listen(app.listen(0, '127.0.0.1'));
};

// Behind an app-wide `express.json()`, as many apps are: the body arrives parsed.
const webhooks: WebhookApps = {
  create: connectWebhooks,
  async start(descriptor, handlers, options) {
    const app = express();
    app.use(express.json());
    app.use(connectWebhooks(descriptor, handlers, options));
    return listen(app.listen(0, '127.0.0.1'));
  },
};

const license: LicenseApp = async ({ forge: options, store }) => {
  const app = express();
  const describe = (req: AtlassianRequest<ConnectAuth | ForgeAuth>, res: Response) => {
    res.json(describeLicense(req.atlassian));
  };
  app.get('/page', atlassianJwt({ store }), describe);
  app.get('/licensed', atlassianJwt({ store }), requireLicense(), describe);
  app.get('/context', atlassianJwt({ store, qsh: 'context' }), describe);
  app.post('/forge/licensed', forgeRemote({ ...options, store }), requireLicense(), describe);
  return listen(app.listen(0, '127.0.0.1'));
};

export const expressApps = { behaviour, lifecycle, forms, forge, webhooks, license };
