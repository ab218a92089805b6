import { LicenseInactiveError, MissingTokenError } from '../errors.js';
import type { License } from '../types/license.js';

/**
 * The rule of `requireLicense()`: refuses a verified request whose licence is inactive. A request
 * that says nothing passes (free apps get no `lic` at all), as does a licence that is unclear;
 * a request nobody verified is refused, since the guard then sits before `atlassianJwt()`.
 */
export function assertLicensed(auth: { license?: License | undefined } | null | undefined): void {
  if (auth === null || auth === undefined || typeof auth !== 'object') {
    throw new MissingTokenError('requireLicense() needs a verified request: put atlassianJwt() before it');
  }
  if (auth.license?.active === false) {
    throw new LicenseInactiveError('the app is not licensed for this site');
  }
}
