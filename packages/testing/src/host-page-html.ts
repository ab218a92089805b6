import { BRIDGE_CALL, BRIDGE_REPLY } from './stand-in-all-js.js';

export interface HostPageHtmlOptions {
  /** `Jira` or `Confluence`, shown in the page's chrome. */
  productName: string;
  appKey: string;
  moduleKey: string;
  /** The signed iframe URL, minted for this page load. */
  iframeUrl: string;
  /** Where the page's bridge asks the host page server to act for it. */
  bridgeUrl: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The product page around an add-on's iframe, drawn like Jira's (top bar, project sidebar), with
 * the host half of the `AP` bridge: it takes calls only from the framed add-on's window and origin
 * on the iframe's channel, and has the host page server do the work (mint a token, call the API).
 */
export function renderHostPage(options: HostPageHtmlOptions): string {
  const config = scriptJson({
    addonOrigin: new URL(options.iframeUrl).origin,
    channel: new URL(options.iframeUrl).searchParams.get('xdm_c'),
    bridgeUrl: options.bridgeUrl,
    call: BRIDGE_CALL,
    reply: BRIDGE_REPLY,
  });
  const product = escapeHtml(options.productName);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(options.moduleKey)} - ${product} (connect-jwt fake)</title>
  <style>
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #172b4d; background: #fff; }
    header { display: flex; align-items: center; gap: 16px; height: 56px; padding: 0 16px; border-bottom: 1px solid #dfe1e6; }
    header .logo { display: flex; align-items: center; gap: 8px; font-weight: 600; font-size: 16px; color: #0c66e4; }
    header .logo span.mark { width: 24px; height: 24px; border-radius: 4px; background: #0c66e4; }
    header .fake { margin-left: auto; font-size: 12px; color: #626f86; }
    .layout { display: flex; min-height: calc(100vh - 57px); }
    nav { width: 220px; padding: 16px 12px; background: #f7f8f9; border-right: 1px solid #dfe1e6; }
    nav .project { font-weight: 600; margin-bottom: 12px; }
    nav a { display: block; padding: 6px 8px; border-radius: 3px; color: #44546f; text-decoration: none; }
    nav a.current { background: #e9f2ff; color: #0c66e4; }
    main { flex: 1; padding: 20px 32px; }
    .breadcrumbs { font-size: 12px; color: #626f86; }
    h1 { font-size: 24px; font-weight: 500; margin: 4px 0 16px; }
    iframe#addon-frame { display: block; width: 100%; height: 200px; border: 0; }
  </style>
</head>
<body>
  <header><div class="logo"><span class="mark"></span>${product}</div><div class="fake">connect-jwt fake product</div></header>
  <div class="layout">
    <nav>
      <div class="project">Test project</div>
      <a href="#">Board</a>
      <a href="#">Issues</a>
      <a href="#" class="current">${escapeHtml(options.appKey)}</a>
    </nav>
    <main>
      <div class="breadcrumbs">Apps / ${escapeHtml(options.appKey)}</div>
      <h1>${escapeHtml(options.moduleKey)}</h1>
      <iframe id="addon-frame" name="${escapeHtml(options.appKey)}" src="${escapeHtml(options.iframeUrl)}"></iframe>
    </main>
  </div>
  <script>
    (() => {
      const config = ${config};
      const frame = document.getElementById('addon-frame');
      function applySize(width, height) {
        if (typeof width === 'string' && width !== '') frame.style.width = width;
        if (typeof height === 'string' && height !== '') frame.style.height = height;
      }
      async function perform(method, args) {
        const response = await fetch(config.bridgeUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ method, args }),
        });
        return response.json();
      }
      window.addEventListener('message', async (event) => {
        if (event.source !== frame.contentWindow || event.origin !== config.addonOrigin) return;
        const message = event.data;
        if (!message || message.type !== config.call || message.channel !== config.channel) return;
        const reply = (answer) =>
          event.source.postMessage({ type: config.reply, channel: config.channel, id: message.id, ...answer }, event.origin);
        try {
          const answer = await perform(message.method, Array.isArray(message.args) ? message.args : []);
          if (message.method === 'resize' && !answer.error) applySize(message.args[0], message.args[1]);
          reply(answer);
        } catch (error) {
          reply({ error: { message: 'the product did not answer: ' + (error && error.message) } });
        }
      });
    })();
  </script>
</body>
</html>
`;
}
