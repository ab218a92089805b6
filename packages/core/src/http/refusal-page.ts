import { STATUS_CODES } from 'node:http';

/** What a refusal page shows: the answer's status and the error's code and message. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** Renders the HTML a person sees when a page load is refused (`refusalPage` adapter option). */
export type RefusalPageRenderer = (refusal: Refusal) => string;

/** One sentence a person can act on, by code; the status decides where the code is unknown. */
const ADVICE: Record<string, string> = {
  ERR_TOKEN_MISSING: 'Open this page from the app inside Jira or Confluence; it cannot be opened on its own.',
  ERR_TOKEN_EXPIRED: 'The link has expired: reload the page in Jira or Confluence to get a fresh one.',
  ERR_TOKEN_NOT_YET_VALID:
    "The link is not valid yet, which usually means this server's clock is behind: try again in a minute.",
  ERR_INVALID_ISSUER:
    'This site has no installation of the app: ask a site administrator to install it again from the app listing.',
  ERR_STORE_UNAVAILABLE: 'The app cannot check this request right now: try again in a minute.',
  ERR_LICENSE_INACTIVE:
    'This app needs a licence for this site: ask a site administrator to subscribe to it (or start a trial) from the app listing.',
  ERR_KEYS_UNAVAILABLE: 'The app cannot check this request right now: try again in a minute.',
};
const DEFAULT_ADVICE = {
  client:
    'Reload the page from the app in Jira or Confluence; if it keeps happening, ask a site administrator to reinstall the app.',
  server: "Something went wrong on the app's side: try again, and tell the app's vendor if it keeps happening.",
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

/** The default refusal page: the status, the code, and one sentence of what to do. */
export function renderRefusalPage(refusal: Refusal): string {
  const advice = ADVICE[refusal.code] ?? (refusal.status >= 500 ? DEFAULT_ADVICE.server : DEFAULT_ADVICE.client);
  const status = `${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`.trim();
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(status)}</title>
  <style>
    body { margin: 0; padding: 24px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #172b4d; }
    main { max-width: 560px; padding: 12px 16px; border-left: 4px solid #ae2a19; background: #ffeceb; }
    h1 { margin: 0 0 4px; font-size: 16px; }
    p { margin: 4px 0; }
    code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  </style>
</head>
<body>
  <main role="alert">
    <h1>${escapeHtml(status)}: this page could not be opened</h1>
    <p>${escapeHtml(advice)}</p>
    <p><code>${escapeHtml(refusal.code)}</code> ${escapeHtml(refusal.message)}</p>
  </main>
</body>
</html>
`;
}
