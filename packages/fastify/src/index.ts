export type {
  AtlassianAuth,
  AtlassianAuthKinds,
  ConnectAuth,
  ForgeAuth,
  License,
  WebhookAuth,
  WebhookHandlers,
  WebhookOptions,
} from '@connect-jwt/core';
export type { RequireLicenseOptions } from '@connect-jwt/core/adapter';
export {
  type AtlassianJwtHook,
  type AtlassianJwtOptions,
  type AtlassianJwtRouteOptions,
  atlassianJwt,
} from './atlassian-jwt.js';
export { type ConnectLifecycleOptions, connectLifecycle } from './lifecycle.js';
export { connectWebhooks, requireLicense } from './webhooks.js';
