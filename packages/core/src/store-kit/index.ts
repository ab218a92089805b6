// `@connect-jwt/core/store-kit`: what a SecretStore is built from, so that every store closes,
// fails and checks its options alike. What users call is the main entry.

export { StoreUnavailableError } from '../errors.js';
export {
  assertInstallation,
  assertRememberArguments,
  assertRememberKey,
  assertReplaceArguments,
  assertStoreListener,
} from '../store/assert.js';
export { storeFailure } from '../store/contract.js';
export { StoreGate } from '../store/gate.js';
export { bareInstallationId, installationIdSpellings, sameInstallation, toAppAri } from '../store/installation-id.js';
export type { StoreLocation } from '../store/url.js';
export { parseStoreUrl, redactUrl } from '../store/url.js';
export type { ChangeFeedOptions, FeedLink, FeedSource } from './change-feed.js';
export { ChangeFeed } from './change-feed.js';
export type { NumberRule, StoreOptionsShape } from './options.js';
export { identifierOption, numberOption, storeOptions } from './options.js';
