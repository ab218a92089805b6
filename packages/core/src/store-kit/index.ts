// `@connect-jwt/core/store-kit`: what a SecretStore is built from, so that every store closes,
// fails and checks its options alike. What users call is the main entry.

export { StoreUnavailableError } from '../errors.js';
export { bareInstallationId, installationIdSpellings, sameInstallation, toAppAri } from '../forge/ari.js';
export { storeFailure } from '../store/contract.js';
export { assertInstallation, assertRememberArguments, assertRememberKey } from '../store/types.js';
export type { StoreLocation } from '../store/url.js';
export { parseStoreUrl, redactUrl } from '../store/url.js';
export type { ChangeFeedOptions, FeedLink, FeedSource } from './change-feed.js';
export { ChangeFeed } from './change-feed.js';
export { StoreGate } from './gate.js';
export type { NumberRule, StoreOptionsShape } from './options.js';
export { identifierOption, numberOption, storeOptions } from './options.js';
