import { licenseSuite, webhookSuite } from '@connect-jwt/adapter-test-suite';
import { fastifyApps } from './apps.js';

webhookSuite('fastify', fastifyApps.webhooks);
licenseSuite('fastify', fastifyApps.license);
