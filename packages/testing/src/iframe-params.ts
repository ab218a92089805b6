import type { ProductType } from './product-type.js';

export interface IframeParamsOptions {
  productType: ProductType;
  /** The site URL the iframe's `all.js` talks back to (`xdm_e`), without `/wiki`. */
  siteUrl: string;
  appKey: string;
  /** The module key (general page, web panel…) the iframe renders. */
  moduleKey: string;
  accountId: string;
  /** `lic`: `active` when the app is licensed, `none` for a free or dev install. */
  license?: 'active' | 'none';
  timeZone?: string;
  locale?: string;
  /** Extra context parameters the module's URL template asked for (`projectKey`, `issueKey`…). */
  extra?: Record<string, string>;
}

/**
 * The query parameters a product adds to an iframe URL before signing it, as Jira and Confluence
 * send them. They take part in the qsh, so an add-on must hash them exactly as received.
 */
export function iframeParams(options: IframeParamsOptions): Record<string, string> {
  const params: Record<string, string> = {
    xdm_e: options.siteUrl,
    xdm_c: `channel-${options.appKey}__${options.moduleKey}`,
    cp: options.productType === 'confluence' ? '/wiki' : '',
    xdm_deprecated_addon_key_do_not_use: options.appKey,
    lic: options.license ?? 'none',
    cv: '1001.0.0-SNAPSHOT',
    tz: options.timeZone ?? 'Europe/Berlin',
    loc: options.locale ?? 'en-US',
    user_id: options.accountId,
  };
  return { ...params, ...options.extra };
}

/** `key=value&…` encoded like a browser form (space as `+`), the way products build iframe URLs. */
export function toQueryString(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}
