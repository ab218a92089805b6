export type { ConnectAuth } from '@connect-jwt/core';
export { type AtlassianJwtOptions, type AtlassianState, atlassianJwt } from './atlassian-jwt.js';
export { type ConnectLifecycleOptions, connectLifecycle } from './lifecycle.js';
