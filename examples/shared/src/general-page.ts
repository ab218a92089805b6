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
 * The general page the product shows in its iframe. The iframe URL's token is single-use and
 * request-bound, so the page's script asks `all.js` for a fresh context token for every call back.
 */
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
</head>
<body>
  <h1>Hello from connect-jwt</h1>
  <p>The product signed this page load for account <code>${escapeHtml(options.accountId ?? 'anonymous')}</code>.</p>
  <pre id="context">Waiting for a context token…</pre>
  <pre id="product">…</pre>
  <script>
    const routes = ${routes};
    async function callBack(url, target) {
      const token = await AP.context.getToken();
      const response = await fetch(url, { headers: { Authorization: 'JWT ' + token } });
      document.getElementById(target).textContent = response.status + ' ' + (await response.text());
    }
    window.addEventListener('load', () => {
      callBack(routes.context, 'context').then(() => callBack(routes.productCall, 'product'));
    });
  </script>
</body>
</html>
`;
}
