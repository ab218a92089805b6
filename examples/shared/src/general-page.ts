export interface GeneralPageOptions {
  /** Shown on the page: who the product says is looking. */
  accountId: string | undefined;
  /** The add-on's base URL: the page's script calls back below it. */
  baseUrl: string;
  /** Where the page's script sends its context token (a `qsh: 'context'` route). */
  contextRoute: string;
  /** Where the page's script asks the add-on to call the product's REST API. */
  productCallRoute: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

/**
 * The browser half of the page: get a context token from `all.js` for every call back (the iframe
 * URL's token is single-use and request-bound), show each answer as a table, and say in words what
 * went wrong instead of waiting forever: `all.js` missing (the page was opened outside the
 * product, or the CDN is blocked), `getToken()` refused or silent, or the add-on refusing the call.
 * `<body data-state>` ends as `done` or `error`, for people and tests alike.
 */
const PAGE_SCRIPT = `
    const ANSWER_TIMEOUT_MS = 10000;

    function fail(message) {
      const error = document.getElementById('error');
      error.textContent = message;
      error.hidden = false;
      document.body.dataset.state = 'error';
    }

    function withTimeout(promise, what) {
      let timer;
      const timeout = new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(what + ' did not answer within ' + ANSWER_TIMEOUT_MS / 1000 + ' s')), ANSWER_TIMEOUT_MS);
      });
      return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
    }

    // Nested JSON as "a › b › c: value" rows, so an answer reads as a list of facts, not a cut-off blob.
    function rows(value, prefix, into) {
      if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value);
        if (entries.length === 0) into.push([prefix, Array.isArray(value) ? '(none)' : '(empty)']);
        for (const [key, inner] of entries) rows(inner, prefix ? prefix + ' › ' + key : key, into);
      } else {
        into.push([prefix || 'answer', String(value)]);
      }
      return into;
    }

    function show(target, response, body) {
      const section = document.getElementById(target);
      const status = section.querySelector('.status');
      status.textContent = response.status + ' ' + (response.statusText || '');
      status.className = 'status ' + (response.ok ? 'ok' : 'refused');
      const table = document.createElement('table');
      for (const [name, value] of rows(body, '', [])) {
        const row = table.insertRow();
        row.insertCell().textContent = name;
        row.insertCell().textContent = value;
      }
      section.querySelector('.answer').replaceChildren(table);
    }

    async function callBack(url, target) {
      let token;
      try {
        token = await withTimeout(AP.context.getToken(), 'AP.context.getToken()');
      } catch (error) {
        throw new Error('The product gave this page no context token (' + (error && error.message) + '). Reload the page; if it keeps happening, reinstall the app.');
      }
      const response = await fetch(url, { headers: { Authorization: 'JWT ' + token } });
      const text = await response.text();
      let body;
      try { body = JSON.parse(text); } catch { body = text; }
      show(target, response, body);
      if (!response.ok) {
        const reason = body && body.code ? body.code + ': ' + body.message : text.slice(0, 200);
        throw new Error('The add-on refused ' + new URL(url).pathname + ' with ' + response.status + ' (' + reason + ').');
      }
    }

    window.addEventListener('load', () => {
      if (typeof AP === 'undefined') {
        fail('Could not load Atlassian\\'s all.js, so this page cannot talk to the product. Open it from the app in Jira or Confluence, and check that connect-cdn.atl-paas.net is not blocked.');
        return;
      }
      callBack(routes.context, 'context')
        .then(() => callBack(routes.productCall, 'product'))
        .then(() => { document.body.dataset.state = 'done'; })
        .catch((error) => fail(error.message));
    });
`;

/** The general page the product shows in its iframe. */
export function renderGeneralPage(options: GeneralPageOptions): string {
  const base = options.baseUrl.replace(/\/+$/, '');
  const routes = JSON.stringify({
    context: `${base}${options.contextRoute}`,
    productCall: `${base}${options.productCallRoute}`,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>connect-jwt example</title>
  <script src="https://connect-cdn.atl-paas.net/all.js" async></script>
  <style>
    body { margin: 0; padding: 4px 0 12px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #172b4d; }
    h1 { font-size: 20px; font-weight: 500; margin: 0 0 8px; }
    h2 { font-size: 14px; margin: 16px 0 4px; }
    code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
    .status { font-weight: 600; margin-left: 8px; }
    .status.ok { color: #216e4e; }
    .status.refused { color: #ae2a19; }
    table { border-collapse: collapse; }
    td { padding: 2px 16px 2px 0; vertical-align: top; }
    td:first-child { color: #626f86; white-space: nowrap; }
    td:last-child { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; word-break: break-all; }
    #error { margin: 16px 0 0; padding: 8px 12px; border-left: 4px solid #ae2a19; background: #ffeceb; }
  </style>
</head>
<body data-state="loading">
  <h1>Hello from connect-jwt</h1>
  <p>The product signed this page load for account <code id="account">${escapeHtml(options.accountId ?? 'anonymous')}</code>.</p>
  <section id="context"><h2>GET ${escapeHtml(options.contextRoute)}<span class="status"></span></h2><div class="answer">Waiting for a context token…</div></section>
  <section id="product"><h2>GET ${escapeHtml(options.productCallRoute)}<span class="status"></span></h2><div class="answer">…</div></section>
  <p id="error" role="alert" hidden></p>
  <script>
    const routes = ${routes};
${PAGE_SCRIPT}
  </script>
</body>
</html>
`;
}
