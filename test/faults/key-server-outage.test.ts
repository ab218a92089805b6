// Installs while the install-keys server cannot be reached (its link cut by a TCP proxy): the
// add-on process must refuse them with a 503 (never accept an install it could not verify, never
// call it a forgery), leave the store exactly as it was, keep serving the installations it has, and
// accept the same install once the key server is back.
import { randomBytes } from 'node:crypto';
import { createJwt } from '@connect-jwt/core';
import { RedisStore } from '@connect-jwt/store-redis';
import { TcpProxy } from '@connect-jwt/store-test-suite';
import { type KeyServer, startKeyServer } from '@connect-jwt/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  appKeyOf,
  FRAMEWORKS,
  type Installation,
  newInstallation,
  sendInstall,
  startAddonProcess,
} from '../support/reliability/harness.ts';
import { recordRow } from '../support/reliability/report.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const cleanUps: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

async function contextCall(
  addonUrl: string,
  installation: Pick<Installation, 'clientKey' | 'sharedSecret'>,
): Promise<number> {
  const token = await createJwt(installation.clientKey, installation.sharedSecret, { context: true });
  const response = await fetch(`${addonUrl}/api/context`, { headers: { authorization: `JWT ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe.each(FRAMEWORKS)('%s example with the key server down', (framework) => {
  it('refuses installs with 503 and changes nothing, then accepts them when it is back', async () => {
    const keyServer: KeyServer = await startKeyServer();
    cleanUps.push(() => keyServer.close());
    const keyProxy = new TcpProxy({ targetPort: Number(new URL(keyServer.url).port) });
    await keyProxy.start();
    cleanUps.push(() => keyProxy.close());
    const prefix = `connect-jwt-reliability:${randomBytes(6).toString('hex')}:`;
    const direct = new RedisStore({ url: REDIS_URL, prefix });
    const installation = newInstallation();
    const newcomer = newInstallation();
    cleanUps.push(async () => {
      await direct.delete(installation.clientKey);
      await direct.delete(newcomer.clientKey);
      await direct.close();
    });
    const addon = await startAddonProcess({
      framework,
      storeKind: 'redis',
      storeUrl: REDIS_URL,
      storeNamespace: prefix,
      keyServerUrl: `http://${keyProxy.address}`,
    });
    cleanUps.push(() => addon.stop());
    const appKey = await appKeyOf(addon.url);

    expect((await sendInstall(addon.url, keyServer.key, appKey, installation)).status).toBe(204);
    const before = await direct.get(installation.clientKey);
    expect(before?.sharedSecret).toBe(installation.sharedSecret);

    // A key the add-on has not fetched yet (the first one is cached), so the install needs the server.
    const rotated = keyServer.createKey();
    await keyProxy.cut();
    const refusals: { status: number; code: unknown }[] = [];
    const fresh = await sendInstall(addon.url, rotated, appKey, newcomer);
    refusals.push({ status: fresh.status, code: ((await fresh.json()) as { code?: unknown }).code });
    const reinstall = await sendInstall(addon.url, rotated, appKey, {
      clientKey: installation.clientKey,
      sharedSecret: randomBytes(32).toString('base64url'),
    });
    refusals.push({ status: reinstall.status, code: ((await reinstall.json()) as { code?: unknown }).code });
    const storeDuring = {
      newcomer: await direct.get(newcomer.clientKey),
      installation: await direct.get(installation.clientKey),
    };
    const servingDuring = await contextCall(addon.url, installation);

    await keyProxy.restore();
    const accepted = await sendInstall(addon.url, rotated, appKey, newcomer);
    const storeAfter = await direct.get(newcomer.clientKey);
    const newcomerServed = await contextCall(addon.url, newcomer);

    const ok =
      refusals.every((refusal) => refusal.status === 503 && refusal.code === 'ERR_STORE_UNAVAILABLE') &&
      storeDuring.newcomer === undefined &&
      JSON.stringify(storeDuring.installation) === JSON.stringify(before) &&
      servingDuring === 200 &&
      accepted.status === 204 &&
      storeAfter?.sharedSecret === newcomer.sharedSecret &&
      newcomerServed === 200 &&
      addon.exited() === undefined;
    recordRow(inject('reliabilityResultsDir'), {
      suite: 'faults',
      tried: `${framework} example (Redis store): install of a new installation and reinstall (new secret) of an installed one, signed with a key not yet cached, while the key server's link is cut`,
      amount: '2 installs during the outage, 1 after',
      result: ok
        ? 'both refused 503 ERR_STORE_UNAVAILABLE; store unchanged (no new record, old secret kept); installed installation still served 200; same install accepted (204) once the link returned'
        : `refusals ${JSON.stringify(refusals)}, new record ${storeDuring.newcomer !== undefined}, accepted after ${accepted.status}`,
      ok,
    });

    expect(refusals).toEqual([
      { status: 503, code: 'ERR_STORE_UNAVAILABLE' },
      { status: 503, code: 'ERR_STORE_UNAVAILABLE' },
    ]);
    expect(storeDuring.newcomer).toBeUndefined();
    expect(storeDuring.installation).toEqual(before);
    expect(servingDuring).toBe(200);
    expect(accepted.status).toBe(204);
    expect(storeAfter?.sharedSecret).toBe(newcomer.sharedSecret);
    expect(newcomerServed).toBe(200);
    expect(addon.exited(), addon.output()).toBeUndefined();
  });
});
