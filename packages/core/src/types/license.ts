/** What a request says about the app's licence on its site: `req.atlassian.license`. */
export interface License {
  /**
   * `true` licensed (or in evaluation), `false` not licensed, `undefined` when the request names a
   * licence that says nothing clear (two `lic` values, an unknown one): never read as licensed.
   */
  active: boolean | undefined;
  /**
   * `lic`: the qsh-covered `lic` parameter of a Connect page load; `fit`: a Forge Invocation
   * Token's `app.license`; `rest`: the product's REST API, asked by `fetchLicense()` (never on `req.atlassian`).
   */
  source: 'lic' | 'fit' | 'rest';
  /** Whether the licence is an evaluation (trial), when the source says so. */
  evaluation?: boolean;
  /** The licence type the REST API names (e.g. `commercial`, `evaluation`), from `fetchLicense()` only. */
  type?: string;
}
