// `@connect-jwt/store-url`: the secret store chosen by a URL in configuration. Its dependencies are
// the three store packages, imported like any other module: core never loads them by name. The
// URL rules themselves (parseStoreUrl, redactUrl) are core's store kit, shared with ace-import.
export type { StoreLocation } from '@connect-jwt/core/store-kit';
export { parseStoreUrl, redactUrl } from '@connect-jwt/core/store-kit';
export { storeFromUrl } from './store-from-url.js';
