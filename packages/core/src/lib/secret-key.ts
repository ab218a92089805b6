const encoder = new TextEncoder();

/** A shared secret as the key bytes HS256 uses: its UTF-8 encoding, as the host and atlassian-jwt do. */
export function secretKeyBytes(secret: string): Uint8Array {
  return encoder.encode(secret);
}
