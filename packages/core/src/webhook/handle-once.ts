import { randomUUID } from 'node:crypto';
import { WebhookHandlerError, WebhookInProgressError } from '../errors.js';
import { callStore } from '../store/contract.js';
import type { SharedValues } from '../store/remember.js';

const DONE = 'done';

export interface HandleOnceSettings {
  values: SharedValues;
  leaseMs: number;
  retentionMs: number;
}

/**
 * Runs `handle` at most once per key across every instance sharing the store:
 * - it claims the key with rememberOnce (`running:<nonce>`, for `leaseMs`), atomically;
 * - a claim held by another run is WebhookInProgressError (409, which Jira retries);
 * - a key marked `done` is a duplicate: answered without running (`'duplicate'`);
 * - success marks the key `done` for `retentionMs`; a throw forgets the claim, so the retry runs,
 *   and is WebhookHandlerError (500). A process that dies leaves a claim that expires.
 * The store failing before the handler ran is StoreUnavailableError (503): the handler never runs
 * unprotected.
 */
export async function handleOnce(
  key: string,
  settings: HandleOnceSettings,
  handle: () => Promise<void>,
): Promise<'handled' | 'duplicate'> {
  const { values } = settings;
  const claim = `running:${randomUUID()}`;
  const held = await callStore(() => values.rememberOnce(key, claim, settings.leaseMs));
  if (held === DONE) return 'duplicate';
  if (held !== claim) throw new WebhookInProgressError('this webhook delivery is being handled by another request');
  try {
    await handle();
  } catch (cause) {
    // Released so Jira's retry runs now, not after the lease; if the store is down, the lease expires.
    await values.forget(key).catch(() => undefined);
    throw new WebhookHandlerError('the webhook handler failed', { cause });
  }
  // The handler ran: a store that fails now leaves the claim to expire, and the answer stays 2xx,
  // since Jira would otherwise deliver again what was handled.
  await values.remember(key, DONE, settings.retentionMs).catch(() => undefined);
  return 'handled';
}

/** Runs a delivery without an identifier (nothing to de-duplicate on): a throw is WebhookHandlerError. */
export async function handleUnkeyed(handle: () => Promise<void>): Promise<'handled'> {
  try {
    await handle();
  } catch (cause) {
    throw new WebhookHandlerError('the webhook handler failed', { cause });
  }
  return 'handled';
}
