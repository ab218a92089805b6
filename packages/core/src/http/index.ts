// `@connect-jwt/core/adapter`: the kit a framework adapter is built from. What users call is the
// main entry; these names map a framework's request and response to core and back.

// The URL rules, for the testing kit, which joins paths to base URLs as core does.
export { isAbsoluteUrl, trimTrailingSlashes } from '../lib/url.js';
export type { LifecycleEvent } from '../lifecycle/install-payload.js';
export type { ErrorBody, HttpAnswer } from './error-response.js';
export { toErrorResponse } from './error-response.js';
export type { LicenseGuard, RequireLicenseOptions } from './license.js';
export { createLicenseGuard } from './license.js';
export type { LifecycleHttpRequest, LifecycleRoutes } from './lifecycle.js';
export { createLifecycleRoutes } from './lifecycle.js';
export type { AcceptedTokens, AdapterOptions, AuthFor, ForgeRemoteOptions, ResolvedAdapterOptions } from './options.js';
export { forgeRemoteOptions, resolveAdapterOptions } from './options.js';
export type { RefusalAnswer, RefusalOptions } from './refusal.js';
export { toRefusalAnswer } from './refusal.js';
export type { Refusal, RefusalPageRenderer } from './refusal-page.js';
export { toConnectRequest } from './request.js';
export type { WebhookRoutes } from './webhooks.js';
export { createWebhookRoutes } from './webhooks.js';
