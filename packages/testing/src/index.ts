export type { TokenRequestRecord } from './authorization-server.js';
export {
  CHROMIUM_ARGS,
  type ChromiumLaunchOptions,
  chromiumLaunchOptions,
  type RequestRouter,
  routeAllJs,
} from './chromium.js';
export {
  createFakeForge,
  type FakeForge,
  type FakeForgeOptions,
  type FitForgery,
  type FitHeadersOptions,
  type ForgeApiCall,
  type JwksResponse,
  type MintFitOptions,
} from './fake-forge.js';
export {
  createFakeProduct,
  type FakeProduct,
  type FakeProductOptions,
  type IframeOptions,
  type InstalledAddon,
  type InstallForgery,
  type InstallOptions,
  type ProductRequestOptions,
  type UninstallOptions,
  type WebhookDeliveryOptions,
} from './fake-product.js';
export { type BridgeCall, type HostPage, type HostPageLoad, type HostPageOptions, startHostPage } from './host-page.js';
export {
  CONTEXT_TOKEN_LIFETIME,
  type ContextTokenOptions,
  type HostIdentity,
  type HostTokenOptions,
  mintContextToken,
  mintHostToken,
  tamperToken,
} from './host-tokens.js';
export { type IframeParamsOptions, iframeParams, toQueryString } from './iframe-params.js';
export {
  generateSigningKey,
  type KeyResponse,
  type KeyServer,
  type SigningKey,
  startKeyServer,
} from './key-server.js';
export {
  type ApiCaller,
  type AppLicense,
  type ProductApi,
  type ProductApiOptions,
  type ReceivedCall,
  startProductApi,
  type UserAnswer,
  type UserRequest,
} from './product-api.js';
export type { ProductType } from './product-type.js';
export type { RateLimitOptions } from './rate-limit.js';
export { type AddonHandler, type RunningAddon, type ServeOptions, serveAddon } from './serve-addon.js';
export { type InstallPayload, installPayload, type SignInstallOptions, signInstall } from './signed-install.js';
export { ALL_JS_URL, STAND_IN_ALL_JS } from './stand-in-all-js.js';
export { type WebhookEvent, type WebhookPayloadOptions, webhookPayload } from './webhook-payloads.js';
