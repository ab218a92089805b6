/** Longer than any clientKey a product issues (a UUID, or a product prefix and a UUID). */
export const MAX_CLIENT_KEY_LENGTH = 255;

/**
 * Whether a string could be a clientKey: no control characters (a NUL makes PostgreSQL fail a
 * lookup, which would be a 503) and well-formed UTF-16 (a lone surrogate is stored as U+FFFD,
 * i.e. under another key). The length is checked by the callers, which say so in their errors.
 */
export function hasClientKeyCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // C0, DEL and C1 controls.
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return value.isWellFormed();
}
