import { ConnectJwtError } from '@connect-jwt/core';

/** One site's `clientInfo` as ACE's own `get('clientInfo', clientKey)` returns it. */
export interface AceClientInfo {
  /** The clientKey ACE files the record under (the row's column, or the Redis key's prefix); null for a row without one. */
  clientKey: string | null;
  /** The stored value, decoded as ACE decodes it (JSON text parsed; anything else as is). */
  value: unknown;
  /** Rows ACE holds for this clientKey; above 1, `value` is the one ACE's get() returns. */
  rows: number;
}

/** An ACE Forge link: the Forge installation that maps to a Connect clientKey. */
export interface AceInstallationLink {
  installationId: string;
  clientKey: string;
}

/** What an ACE store holds that an import needs. */
export interface AceSnapshot {
  clientInfos: AceClientInfo[];
  links: AceInstallationLink[];
}

/** Reads an ACE store, never writing to it. */
export interface AceSource {
  /** Where it reads from, without any password. */
  readonly display: string;
  read(): Promise<AceSnapshot>;
  close(): Promise<void>;
}

/** The ACE store could not be read (unreachable, no such table, not a database): said in one line. */
export class AceSourceError extends ConnectJwtError {
  override readonly code = 'ERR_ACE_SOURCE';
  override readonly status = 500;
}

/** ACE's `getAsObject`: JSON text is parsed, anything that does not parse is kept as it was. */
export function decodeAceValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
