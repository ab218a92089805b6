/** The one installation every benchmark server knows. */
export const TENANT = {
  clientKey: 'bench-tenant',
  sharedSecret: 'bench-shared-secret-0123456789abcdef0123',
  baseUrl: 'https://bench.atlassian.net',
};
