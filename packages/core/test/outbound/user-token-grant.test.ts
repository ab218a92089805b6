import { describe, expect, it } from 'vitest';
import { authorizationServerFor } from '../../src/outbound/user-token-grant.js';

describe('authorizationServerFor', () => {
  it.each([
    ['https://example.atlassian.net', 'https://oauth-2-authorization-server.services.atlassian.com'],
    ['https://example.atlassian.net/wiki', 'https://oauth-2-authorization-server.services.atlassian.com'],
    ['https://example.jira-dev.com', 'https://oauth-2-authorization-server.stg.services.atlassian.com'],
    [
      'https://example.atlassian-us-gov-mod.net',
      'https://oauth-2-authorization-server.services.atlassian-us-gov-mod.com',
    ],
    [
      'https://example.atlassian-stg-fedm.net',
      'https://oauth-2-authorization-server.stg.services.atlassian-us-gov-mod.com',
    ],
    // Only the host decides: a look-alike path or a suffix without the dot is the default.
    ['https://evil.example.com/.jira-dev.com', 'https://oauth-2-authorization-server.services.atlassian.com'],
    ['https://notjira-dev.com', 'https://oauth-2-authorization-server.services.atlassian.com'],
  ])('%s → %s', (site, server) => {
    expect(authorizationServerFor(site)).toBe(server);
  });
});
