import type { Installation } from '@connect-jwt/core';

/**
 * The REST resource describing the calling identity in the installation's product, i.e. a cheap
 * authenticated call that proves the add-on can talk back to the product.
 */
export function whoAmIPath(installation: Installation): string {
  return installation.productType === 'confluence' ? '/rest/api/user/current' : '/rest/api/3/myself';
}
