import { licenseSuite, webhookSuite } from '@connect-jwt/adapter-test-suite';
import { expressApps } from './apps.js';

webhookSuite('express', expressApps.webhooks);
licenseSuite('express', expressApps.license);
