export const packedDir: string;
export function publicPackages(): {
  dir: string;
  manifest: { name: string; version: string; [field: string]: unknown };
}[];
export function packPublicPackages(destination?: string): Record<string, string>;
