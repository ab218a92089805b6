// Serving lives in @connect-jwt/testing, where users' own tests get it too.
export { type RunningAddon, type ServeOptions, serveAddon } from '@connect-jwt/testing';
export type { DemoOptions, DemoStep } from './demo.js';
export { runDemo } from './demo.js';
export type { AddonIdentity } from './descriptor.js';
export { exampleDescriptor } from './descriptor.js';
export type { ForgeSettings } from './forge.js';
export { describeCaller, forgeEventAnswer } from './forge.js';
export type { GeneralPageOptions } from './general-page.js';
export { renderGeneralPage } from './general-page.js';
export type { ProductAnswer } from './product-api.js';
export { whoAmIAsUser, whoAmIPath } from './product-api.js';
export type { AddonOptions, StartOptions } from './run.js';
export { runFromEnv } from './run.js';
export type { StoreChoice } from './store.js';
export { openStore } from './store.js';
export type { HandledWebhook } from './webhooks.js';
export { exampleWebhooks } from './webhooks.js';
