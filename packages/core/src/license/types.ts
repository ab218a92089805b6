/** What a request says about the app's licence on its site: `req.atlassian.license`. */
export interface License {
  /**
   * `true` licensed (or in evaluation), `false` not licensed, `undefined` when the request names a
   * licence that says nothing clear (two `lic` values, an unknown one): never read as licensed.
   */
  active: boolean | undefined;
  /** `lic`: the qsh-covered `lic` parameter of a Connect page load; `fit`: a Forge Invocation Token's `app.license`. */
  source: 'lic' | 'fit';
  /** Whether the licence is an evaluation (trial), when the source says so (Forge's `isEvaluation`). */
  evaluation?: boolean;
}
