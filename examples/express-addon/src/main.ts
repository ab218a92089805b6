import { runFromEnv } from '@connect-jwt/example-shared';
import { startAddon } from './app.js';

await runFromEnv('express-addon', startAddon);
