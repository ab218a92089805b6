import { behaviourSuite, forgeSuite, lifecycleSuite } from '@connect-jwt/adapter-test-suite';
import { fastifyApps } from './apps.js';

behaviourSuite('fastify', fastifyApps.behaviour);
lifecycleSuite('fastify', fastifyApps.lifecycle);
forgeSuite('fastify', fastifyApps.forge);
