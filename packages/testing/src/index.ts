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
} from './fake-product.js';
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
  type ProductApi,
  type ProductApiOptions,
  type ReceivedCall,
  startProductApi,
} from './product-api.js';
export type { ProductType } from './product-type.js';
export { type AddonHandler, type RunningAddon, type ServeOptions, serveAddon } from './serve-addon.js';
export { type InstallPayload, installPayload, type SignInstallOptions, signInstall } from './signed-install.js';
export { type WebhookEvent, type WebhookPayloadOptions, webhookPayload } from './webhook-payloads.js';
