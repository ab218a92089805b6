/** One installation of the add-on in a product instance, as received by `/installed`. */
export interface Installation {
  /** The installation's identity; the `iss` of every token the product sends. */
  clientKey: string;
  /** The HS256 key shared with this installation. */
  sharedSecret: string;
  /** The product's base URL, e.g. `https://example.atlassian.net/wiki`. */
  baseUrl: string;
  /**
   * The Forge installation of the same site (`ari:cloud:ecosystem::installation/<uuid>`), sent in
   * the `installed` payload once the app has adopted Forge; how a Forge call finds this record.
   */
  installationId?: string;
  [key: string]: unknown;
}

/** Where installations (and so shared secrets) are kept, keyed by `clientKey`. */
export interface SecretStore {
  /** The installation for `clientKey`, or `undefined` when there is none. */
  get(clientKey: string): Promise<Installation | undefined>;
  /**
   * The installation whose `installationId` names this one (an ARI and the bare uuid are the same
   * installation), or `undefined`. Optional for stores written before Forge; every store shipped
   * here has it, and Forge routes given a store need it.
   */
  getByInstallationId?(installationId: string): Promise<Installation | undefined>;
  /** Insert or replace the installation with this `clientKey`. */
  set(installation: Installation): Promise<void>;
  /** Remove the installation; removing an unknown key is not an error. */
  delete(clientKey: string): Promise<void>;
  /** Release connections; the store must not be used afterwards. */
  close?(): Promise<void>;
}
