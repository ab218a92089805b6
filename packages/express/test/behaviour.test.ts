import { behaviourSuite, forgeSuite, formValuesSuite, lifecycleSuite } from '@connect-jwt/adapter-test-suite';
import { expressApps } from './apps.js';

behaviourSuite('express', expressApps.behaviour);
lifecycleSuite('express', expressApps.lifecycle);
formValuesSuite('express.urlencoded({ extended: true })', expressApps.forms);
forgeSuite('express', expressApps.forge);
