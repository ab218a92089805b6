#!/usr/bin/env node
// `npm run demo`: one example add-on driven by the fake product through the whole Connect flow,
// one line per step, so a newcomer sees what is signed, by whom, and what is refused.
// Runs on the built packages (`node scripts/run.mjs demo` builds first); EXAMPLE picks the add-on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const example = process.env.EXAMPLE ?? 'express-addon';
const { startAddon } = await import(`../examples/${example}/dist/app.js`);
const { createFakeProduct } = await import('../packages/testing/dist/index.js');
const { SqliteStore } = await import('../packages/store-sqlite/dist/index.js');

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
let failures = 0;

async function step(number, title, request, expectedStatus, send, describe) {
  const response = await send();
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  const ok = response.status === expectedStatus;
  if (!ok) failures += 1;
  const mark = ok ? paint(32, '✓') : paint(31, '✗');
  const status = paint(ok ? 32 : 31, String(response.status));
  console.log(
    `${mark} ${String(number).padStart(2)}. ${title.padEnd(18)} ${request.padEnd(44)} ${status}  ${await describe(body)}`,
  );
}

const short = (value, length = 48) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
};

const dataDir = mkdtempSync(join(tmpdir(), 'connect-jwt-demo-'));
const store = new SqliteStore(join(dataDir, 'installations.sqlite'));
const product = await createFakeProduct({ productType: 'jira' });
let addon;
try {
  addon = await startAddon({ port: 0, host: '127.0.0.1', store, keyServerUrl: product.keyServerUrl });
  console.log(paint(1, `connect-jwt demo: ${example} driven by a fake Jira\n`));
  console.log(`  add-on   ${addon.baseUrl}  (descriptor at /atlassian-connect.json, SQLite store in a temp dir)`);
  console.log(`  product  ${product.baseUrl}  (REST API; install keys at ${product.keyServerUrl})\n`);

  await step(
    1,
    'install',
    'POST /installed (RS256 signed install)',
    204,
    () => product.install(addon.baseUrl),
    () => `stored clientKey ${product.clientKey.slice(0, 8)}… and its shared secret`,
  );
  await step(
    2,
    'forged install',
    'POST /installed (HS256, attacker secret)',
    401,
    () => product.install(addon.baseUrl, { forgery: 'hs256' }),
    async (body) => {
      const stored = await store.get(product.clientKey);
      return `${body.code}, stored secret ${stored?.sharedSecret === product.sharedSecret ? 'unchanged' : 'CHANGED'}`;
    },
  );
  await step(
    3,
    'iframe load',
    'GET /hello?xdm_e=…&lic=…&tz=…&jwt=…',
    200,
    () => product.loadIframe('/hello'),
    (body) =>
      typeof body === 'string' && body.includes(product.accountId)
        ? `general page for ${product.accountId.slice(0, 12)}…`
        : short(body),
  );
  await step(
    4,
    'context call',
    'GET /api/context (context-qsh token)',
    200,
    async () => product.request('/api/context', { token: await product.contextToken() }),
    (body) => `issue ${body.context?.jira?.issue?.key} for ${String(body.accountId).slice(0, 12)}…`,
  );
  await step(
    5,
    'webhook',
    'POST /webhooks/issue-created',
    200,
    () => product.webhook('/webhooks/issue-created', 'jira:issue_created'),
    (body) => `${body.event} ${body.issueKey}`,
  );
  await step(
    6,
    'outbound call',
    'GET /api/myself → GET /rest/api/3/myself',
    200,
    async () => product.request('/api/myself', { token: await product.contextToken() }),
    () => {
      const call = product.received.at(-1);
      return call ? `product checked iss=${call.appKey} and qsh: ${call.status}` : 'no call reached the product';
    },
  );
  await step(
    7,
    'bad token',
    'GET /hello (token for another URL)',
    401,
    async () => product.request('/hello', { token: await product.hostToken({ url: '/other' }) }),
    (body) => body.code,
  );
  await step(
    8,
    'uninstall',
    'POST /uninstalled (RS256 signed)',
    204,
    () => product.uninstall(),
    () => 'installation deleted',
  );
  await step(
    9,
    'after uninstall',
    'GET /hello?…&jwt=… (old secret)',
    401,
    () => product.loadIframe('/hello'),
    (body) => `${body.code}: ${body.message}`,
  );
} finally {
  await addon?.close();
  await product.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  failures === 0
    ? paint(32, '\nevery step answered as expected')
    : paint(31, `\n${failures} step(s) answered unexpectedly`),
);
process.exit(failures === 0 ? 0 : 1);
