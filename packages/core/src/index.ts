// `@connect-jwt/core`: what users call. Plumbing has named subpaths: the adapter kit
// (`@connect-jwt/core/adapter`) and the store kit (`@connect-jwt/core/store-kit`).
export type { ConnectDescriptor, ConnectDescriptorOptions } from './descriptor/connect-descriptor.js';
export { connectDescriptor } from './descriptor/connect-descriptor.js';
// The failures DESIGN.md names, for `instanceof`; every error class (these and the newer ones) is in
// the `@connect-jwt/core/errors` subpath, and every error carries its stable `code` to test instead.
export {
  ConnectJwtError,
  InvalidAudienceError,
  InvalidInstallError,
  InvalidIssuerError,
  InvalidSignatureError,
  isConnectJwtError,
  MalformedTokenError,
  MissingTokenError,
  QshMismatchError,
  StoreUnavailableError,
  TokenExpiredError,
  TokenNotYetValidError,
  UnsupportedAlgorithmError,
} from './errors.js';
export type { ForgeFetchInit } from './forge/fetch.js';
export { forgeFetch } from './forge/fetch.js';
export type {
  SharedSystemTokenCache,
  SystemTokenCache,
  SystemTokenCacheOptions,
} from './forge/system-token-cache.js';
export { createSystemTokenCache } from './forge/system-token-cache.js';
export { verifyForgeInvocation } from './forge/verify.js';
export type { FetchLicenseOptions } from './license/fetch.js';
export { fetchLicense } from './license/fetch.js';
export type { ToInstallationOptions } from './lifecycle/installation-fields.js';
export { toInstallation } from './lifecycle/installation-fields.js';
export type { LifecycleOptions } from './lifecycle/options.js';
export type { RetryEvent, RetryOptions } from './outbound/retry.js';
export type { ProductFetchOptions, SignRequestOptions } from './outbound/sign.js';
export { productFetch, signRequest } from './outbound/sign.js';
export type { UserAccessToken, UserAccessTokenOptions } from './outbound/user-token.js';
export { getUserAccessToken } from './outbound/user-token.js';
export type { CanonicalRequestOptions, FormBody, FormParamsPolicy } from './qsh/canonical.js';
export { canonicalRequest } from './qsh/canonical.js';
export { computeQsh } from './qsh/hash.js';
export { verifyRequest } from './request/verify.js';
export type { CachedStore, CachedStoreOptions, FeedStatus } from './store/cached.js';
export { cachedStore } from './store/cached.js';
export { getDefaultStore, setDefaultStore } from './store/default.js';
export type { EncryptedStoreOptions, EncryptionKey } from './store/encrypted.js';
export { encryptedStore } from './store/encrypted.js';
export { MemoryStore } from './store/memory.js';
export type { ReencryptOptions, ReencryptReport } from './store/reencrypt.js';
export { reencryptStore } from './store/reencrypt.js';
export type { CreateJwtOptions, JWTPayload } from './token/create.js';
export { createJwt, encode } from './token/create.js';
export type { DecodeOptions } from './token/decode.js';
export { decode, decodeUnverified } from './token/decode.js';
export type { AtlassianAuth, AtlassianAuthKinds, ForgeAuth, ForgeVerifyOptions } from './types/forge.js';
export type { License } from './types/license.js';
export type {
  AceSessionTokenOptions,
  ConnectAuth,
  ConnectRequest,
  QshMode,
  VerifyOptions,
} from './types/request.js';
export type { Installation, SecretStore, StoreChange, StoreChangeListener } from './types/store.js';
export type {
  WebhookAuth,
  WebhookBody,
  WebhookDelivery,
  WebhookHandler,
  WebhookHandlers,
  WebhookOptions,
} from './types/webhook.js';
