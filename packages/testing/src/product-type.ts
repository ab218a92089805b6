/** The Atlassian products the fake can play. */
export type ProductType = 'jira' | 'confluence';

export const PRODUCT_TYPES: readonly ProductType[] = ['jira', 'confluence'];

/**
 * The path below the site where the product serves its REST API and contexts: Confluence Cloud
 * lives under `/wiki`, which is why an installation's `baseUrl` has a path and qsh must strip it.
 */
export function productContextPath(productType: ProductType): string {
  return productType === 'confluence' ? '/wiki' : '';
}
