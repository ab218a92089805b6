// Server CPU per request without sockets: one app answers requests injected in memory, so the
// kernel's share of each request (the noisiest part on a shared machine) is left out and the
// middleware's own cost stands out. argv: <framework> <variant> <requests>; reports over IPC.
import { createJwt } from '@connect-jwt/core';
import { buildApp } from './apps.mjs';
import { TENANT } from './tenant.mjs';

const CONCURRENCY = 10;
const [framework, variant, requestsArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const app = await buildApp(framework, variant);
const pool = await Promise.all(
  Array.from({ length: 1000 }, (_, i) =>
    createJwt(TENANT.clientKey, TENANT.sharedSecret, { uri: '/data', expiresIn: 3600, subject: `account-${i}` }),
  ),
);

let next = 0;
async function answerOne() {
  next = (next + 1) % pool.length;
  const response = await app.inject({ method: 'GET', url: '/data', headers: { authorization: `JWT ${pool[next]}` } });
  if (response.statusCode !== 200) throw new Error(`${framework}/${variant} answered ${response.statusCode}`);
}

async function answer(count) {
  for (let done = 0; done < count; done += CONCURRENCY) {
    await Promise.all(Array.from({ length: CONCURRENCY }, answerOne));
  }
}

await answer(Math.max(2000, requests / 5));
const before = process.cpuUsage();
await answer(requests);
const used = process.cpuUsage(before);
process.send({ cpuPerRequest: (used.user + used.system) / requests });
process.disconnect();
