import { chromiumLaunchOptions, createFakeProduct, routeAllJs, startHostPage } from '@connect-jwt/testing';
import { chromium } from 'playwright-core';
import { expect, test } from 'vitest';
import { startAddon } from './my-addon.js'; // your add-on: it takes installs signed by keyServerUrl

test('my page shows who is signed in', async () => {
  const product = await createFakeProduct({ productType: 'jira' });
  const addon = await startAddon({ keyServerUrl: product.keyServerUrl });
  await product.install(addon.baseUrl);
  const host = await startHostPage(product); // a Jira-like page, on another site, that frames yours
  const browser = await chromium.launch(chromiumLaunchOptions()); // Debian's /usr/bin/chromium
  const page = await browser.newPage();
  await routeAllJs(page); // the stand-in all.js answers instead of Atlassian's CDN
  await page.goto(host.pageUrl('/page')); // frames your /page with a signed URL, xdm_e = host.origin
  const frame = page.frameLocator('#addon-frame');
  expect(await frame.locator('#account').textContent()).toBe(product.accountId);
  expect(await frame.locator('body').evaluate('AP.context.getContext()')).toEqual(product.context);
  for (const running of [browser, host, addon, product]) await running.close();
});
