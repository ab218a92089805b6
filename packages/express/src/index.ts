export type { ConnectAuth } from '@connect-jwt/core';
export { type AtlassianJwtOptions, atlassianJwt } from './atlassian-jwt.js';
export { type ConnectLifecycleOptions, connectLifecycle } from './lifecycle.js';
