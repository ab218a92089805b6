import { behaviourSuite, forgeSuite, formValuesSuite, lifecycleSuite } from '@connect-jwt/adapter-test-suite';
import { koaApps } from './apps.js';

behaviourSuite('koa', koaApps.behaviour);
lifecycleSuite('koa', koaApps.lifecycle);
formValuesSuite('@koa/bodyparser defaults', koaApps.forms);
forgeSuite('koa', koaApps.forge);
