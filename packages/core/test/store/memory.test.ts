import { storeSuite } from '@connect-jwt/store-test-suite';
import { MemoryStore } from '../../src/index.js';

storeSuite('MemoryStore', () => new MemoryStore(), { sharedStorage: false });
