export const root: string;
export function pnpmCommand(): [string, string[]];
