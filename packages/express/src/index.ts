export type { AtlassianAuth, AtlassianAuthKinds, ConnectAuth, ForgeAuth } from '@connect-jwt/core';
export type { ForgeRemoteOptions } from '@connect-jwt/core/adapter';
export {
  type AtlassianJwtOptions,
  type AtlassianRequest,
  type AtlassianRequestHandler,
  type AtlassianRouteLocals,
  atlassianJwt,
  forgeRemote,
} from './atlassian-jwt.js';
export { type ConnectLifecycleOptions, connectLifecycle } from './lifecycle.js';
