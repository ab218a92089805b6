import { existsSync } from 'node:fs';
import { ALL_JS_URL, STAND_IN_ALL_JS } from './stand-in-all-js.js';

/**
 * Flags for a test Chromium: headless, no GPU, and none of the background traffic (QUIC, sync,
 * component and safe-browsing updates) a desktop browser starts on its own.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const DEBIAN_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-headless-shell'];

export interface ChromiumLaunchOptions {
  executablePath: string;
  args: string[];
  headless: true;
}

/**
 * Launch options for `playwright-core`'s `chromium.launch()` or `puppeteer-core`'s `launch()`
 * with the system's Chromium (`CHROMIUM_PATH`, else Debian's `/usr/bin/chromium` or
 * `chromium-headless-shell`). Both drivers give each launch a new, empty profile directory.
 */
export function chromiumLaunchOptions(options: { executablePath?: string } = {}): ChromiumLaunchOptions {
  const executablePath =
    options.executablePath ??
    process.env.CHROMIUM_PATH ??
    DEBIAN_CHROMIUM.find((path) => existsSync(path)) ??
    (DEBIAN_CHROMIUM[0] as string);
  return { executablePath, args: [...CHROMIUM_ARGS], headless: true };
}

/** What `routeAllJs` needs of a Playwright `Page` or `BrowserContext`. */
export interface RequestRouter {
  route(
    url: string,
    handler: (route: {
      fulfill(response: { status: number; contentType: string; body: string }): Promise<void>;
    }) => unknown,
  ): Promise<unknown>;
}

/**
 * Answers the page's requests for Atlassian's `all.js` with the stand-in, in the browser, so no
 * request leaves the machine (Playwright: pass a `Page` or `BrowserContext`).
 */
export async function routeAllJs(target: RequestRouter): Promise<void> {
  await target.route(ALL_JS_URL, (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: STAND_IN_ALL_JS }),
  );
}
