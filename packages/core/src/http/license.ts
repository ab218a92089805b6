import { assertLicensed } from '../license/require.js';
import type { License } from '../types/license.js';
import { type RefusalAnswer, toRefusalAnswer } from './refusal.js';
import { type RefusalPageRenderer, renderRefusalPage } from './refusal-page.js';

/** What `requireLicense(options)` takes in every adapter. */
export interface RequireLicenseOptions {
  /** The page a person's browser gets for a refusal: as atlassianJwt's `refusalPage` (default `true`). */
  refusalPage?: boolean | RefusalPageRenderer | undefined;
}

/** The guard of `requireLicense()`: the refusal to send for a verified request, or `undefined` to pass it on. */
export type LicenseGuard = (
  auth: { license?: License | undefined } | null | undefined,
  accept: string | string[] | undefined,
) => RefusalAnswer | undefined;

/** Validates the options once (a TypeError naming the option) and returns the guard every adapter runs. */
export function createLicenseGuard(
  options: RequireLicenseOptions | undefined,
  caller = 'requireLicense',
): LicenseGuard {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${caller}: options must be an object`);
  }
  const { refusalPage = true } = options ?? {};
  if (typeof refusalPage !== 'boolean' && typeof refusalPage !== 'function') {
    throw new TypeError(`${caller}: options.refusalPage must be a boolean or a function returning HTML`);
  }
  const page = refusalPage === true ? renderRefusalPage : refusalPage;
  return (auth, accept) => {
    try {
      assertLicensed(auth);
      return undefined;
    } catch (error) {
      return toRefusalAnswer(error, accept, { refusalPage: page });
    }
  };
}
