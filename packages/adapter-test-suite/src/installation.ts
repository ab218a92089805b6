// The installation every suite's requests are signed for: its own module, so the behaviour table
// and the test stores both use it without importing each other.
import type { Installation } from '@connect-jwt/core';

export const INSTALLATION: Installation = {
  clientKey: 'installation-1',
  sharedSecret: 'installation-1-shared-secret-0123456789abcdef',
  baseUrl: 'https://installation-1.atlassian.net',
};
