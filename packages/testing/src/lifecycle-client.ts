// How the fake product talks to an add-on's lifecycle routes: its descriptor, and signed (or
// deliberately forged) install and uninstall callbacks.
import { computeQsh, encode } from '@connect-jwt/core';
import type { InstalledAddon, InstallForgery } from './fake-product-types.js';
import type { KeyServer } from './key-server.js';
import { type InstallPayload, signInstall } from './signed-install.js';

const HOUR_MS = 60 * 60 * 1000;

export /** The add-on's descriptor, or why there is none (said in the error when no appKey was given either). */
async function readDescriptor(
  descriptorUrl: string,
): Promise<{ descriptor: Record<string, unknown> } | { problem: string }> {
  let response: Response;
  try {
    response = await fetch(descriptorUrl);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { problem: `GET ${descriptorUrl} failed (${cause}): is the add-on listening there?` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { problem: `GET ${descriptorUrl} answered ${response.status}: serve the descriptor there` };
  }
  try {
    const descriptor: unknown = await response.json();
    if (descriptor !== null && typeof descriptor === 'object')
      return { descriptor: descriptor as Record<string, unknown> };
  } catch {}
  return { problem: `GET ${descriptorUrl} did not answer a JSON object` };
}

export interface LifecycleClient {
  /** POSTs `payload` to `target`'s `path`, signed as the host signs it, or forged as `forgery` says. */
  send(
    target: InstalledAddon,
    payload: InstallPayload,
    path: string,
    forgery: InstallForgery | undefined,
  ): Promise<Response>;
}

export function createLifecycleClient(keyServer: KeyServer): LifecycleClient {
  // The host signs each callback afresh. RS256 is deterministic, so two callbacks for one
  // clientKey in the same second would carry the same token, which an add-on rightly refuses to
  // accept with two different bodies (a replay): each gets a later issue time than the last.
  const lastCallbackMs = new Map<string, number>();
  const callbackTime = (clientKey: string): number => {
    const now = Math.max(Date.now(), (lastCallbackMs.get(clientKey) ?? 0) + 1000);
    lastCallbackMs.set(clientKey, now);
    return now;
  };

  async function lifecycleToken(
    target: InstalledAddon,
    payload: InstallPayload,
    path: string,
    forgery: InstallForgery | undefined,
  ): Promise<string | undefined> {
    switch (forgery) {
      case undefined:
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          now: callbackTime(payload.clientKey),
        });
      case 'unsigned':
        return undefined;
      case 'hs256':
        return encode(
          { iss: payload.clientKey, aud: target.baseUrl, qsh: computeQsh('POST', path), ...timeClaims(Date.now()) },
          payload.sharedSecret,
        );
      case 'wrong-audience':
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          claims: { aud: ['https://another-addon.example.com'] },
        });
      case 'unpublished-key':
        return signInstall({ key: keyServer.createKey({ serve: false }), addonBaseUrl: target.baseUrl, payload, path });
      case 'expired':
        return signInstall({
          key: keyServer.key,
          addonBaseUrl: target.baseUrl,
          payload,
          path,
          now: Date.now() - HOUR_MS,
        });
      default:
        throw new TypeError(`unknown install forgery ${JSON.stringify(forgery)}`);
    }
  }

  async function send(
    target: InstalledAddon,
    payload: InstallPayload,
    path: string,
    forgery: InstallForgery | undefined,
  ): Promise<Response> {
    const token = await lifecycleToken(target, payload, path, forgery);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `JWT ${token}`;
    return fetch(`${target.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(payload) });
  }

  return { send };
}

function timeClaims(nowMs: number): { iat: number; exp: number } {
  const iat = Math.floor(nowMs / 1000);
  return { iat, exp: iat + 180 };
}
