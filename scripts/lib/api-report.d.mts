export interface ApiEntry {
  packageName: string;
  /** The specifier a user imports: `@connect-jwt/core`, `@connect-jwt/core/adapter`. */
  entry: string;
  dir: string;
  typesFile: string;
  reportName: string;
  reportFile: string;
}
export function apiEntries(): ApiEntry[];
export function apiReports(options?: { write?: boolean }): string[];
