import { MemoryStore } from '@connect-jwt/core';
import { storeSuite } from '@connect-jwt/store-test-suite';

storeSuite('MemoryStore', () => new MemoryStore(), { sharedStorage: false });
