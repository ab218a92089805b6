import { licenseSuite, webhookSuite } from '@connect-jwt/adapter-test-suite';
import { koaApps } from './apps.js';

webhookSuite('koa', koaApps.webhooks);
licenseSuite('koa', koaApps.license);
