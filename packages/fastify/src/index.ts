export type { AtlassianAuth, AtlassianAuthKinds, ConnectAuth, ForgeAuth } from '@connect-jwt/core';
export {
  type AtlassianJwtHook,
  type AtlassianJwtOptions,
  type AtlassianJwtRouteOptions,
  atlassianJwt,
} from './atlassian-jwt.js';
export { type ConnectLifecycleOptions, connectLifecycle } from './lifecycle.js';
