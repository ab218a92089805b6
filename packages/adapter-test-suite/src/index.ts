export type { Case, Fixture, HttpRequest, Step } from './behaviour-cases.js';
export { ADDON_BASE_URL, badOptions, cases, REALM } from './behaviour-cases.js';
export type { BehaviourApp } from './behaviour-suite.js';
export { behaviourSuite } from './behaviour-suite.js';
export type { ForgeApp, ForgeFixture } from './forge-suite.js';
export { describeAuth, forgeSuite } from './forge-suite.js';
export type { FormApp, FormParamsPolicy } from './form-values-suite.js';
export { formValuesSuite } from './form-values-suite.js';
export type { ForgedCall, ForgeryContext, InstallForgery } from './install-forgeries.js';
export { ATTACKER_SECRET, forgeryCode, installForgeries } from './install-forgeries.js';
export { INSTALLATION } from './installation.js';
export type { LicenseApp } from './license-suite.js';
export { describeLicense, licenseSuite } from './license-suite.js';
export type { LifecycleBodyApps } from './lifecycle-body-suite.js';
export { lifecycleBodySuite } from './lifecycle-body-suite.js';
export type { LifecycleApps } from './lifecycle-suite.js';
export { lifecycleSuite, WHOAMI } from './lifecycle-suite.js';
export type { RunningServer } from './listen.js';
export { listen } from './listen.js';
export { CountingStore, FlakyStore, storeWithInstallation } from './stores.js';
export {
  base64url,
  CLIENT_KEY,
  HS256_HEADER,
  nowSeconds,
  SHARED_SECRET,
  signToken,
  unsignedToken,
} from './tokens.js';
export type { WebhookApps } from './webhook-suite.js';
export { WEBHOOK_DESCRIPTOR, webhookSuite } from './webhook-suite.js';
