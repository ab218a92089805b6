export type { ChangeFeedSuiteOptions, WatchedStore } from './change-feed-suite.js';
export { changeFeedSuite } from './change-feed-suite.js';
export { eventually } from './eventually.js';
export type { LinkFault, LinkFaultSuiteOptions } from './link-fault-suite.js';
export { linkFaultSuite } from './link-fault-suite.js';
export type { StoreFactory, StoreSuiteOptions } from './store-suite.js';
export { sampleInstallation, storeSuite, uniqueClientKey, uniqueInstallationId } from './store-suite.js';
export type { TcpProxyOptions } from './tcp-proxy.js';
export { closedPort, TcpProxy } from './tcp-proxy.js';
