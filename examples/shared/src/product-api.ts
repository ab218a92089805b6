import { type ConnectAuth, type Installation, productFetch } from '@connect-jwt/core';

/**
 * The REST resource describing the calling identity in the installation's product, i.e. a cheap
 * authenticated call that proves the add-on can talk back to the product.
 */
export function whoAmIPath(installation: Installation): string {
  return installation.productType === 'confluence' ? '/rest/api/user/current' : '/rest/api/3/myself';
}

/** What a route answers after calling the product: its status and JSON body. */
export interface ProductAnswer {
  status: number;
  body: unknown;
}

/**
 * Calls the product as the signed-in user: Connect's OAuth 2.0 impersonation (`ACT_AS_USER` in
 * the descriptor's scopes), so the product answers with what that user may see and do. A call
 * without a user (an anonymous page) is refused rather than made as the add-on.
 */
export async function whoAmIAsUser(
  auth: Pick<ConnectAuth, 'installation' | 'accountId'>,
  options: { appKey: string; authorizationServerUrl?: string | undefined },
): Promise<ProductAnswer> {
  const { installation, accountId } = auth;
  if (accountId === undefined) {
    return { status: 403, body: { code: 'ERR_NO_USER', message: 'this call carries no signed-in user to act as' } };
  }
  const response = await productFetch(
    installation,
    {
      appKey: options.appKey,
      as: { accountId },
      ...(options.authorizationServerUrl !== undefined && { authorizationServerUrl: options.authorizationServerUrl }),
    },
    whoAmIPath(installation),
  );
  return { status: response.ok ? 200 : 502, body: { productStatus: response.status, product: await response.json() } };
}
