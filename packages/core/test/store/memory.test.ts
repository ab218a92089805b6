import { MemoryStore } from '@connect-jwt/core';
import { changeFeedSuite, installationsSuite, storeSuite } from '@connect-jwt/store-test-suite';
