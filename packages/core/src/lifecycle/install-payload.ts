import { InvalidInstallError } from '../errors.js';
import type { Installation } from '../types/store.js';
import { toInstallation } from './installation-fields.js';

export type LifecycleEvent = 'installed' | 'uninstalled';

/**
 * The installation described by a lifecycle body, or InvalidInstallError (400) saying which
 * field is wrong. Called only after the token is verified, so a forger learns nothing from it.
 */
export function readInstallPayload(body: unknown, event: LifecycleEvent): Installation {
  const required = event === 'installed' ? ['clientKey', 'sharedSecret', 'baseUrl', 'productType'] : ['clientKey'];
  const installation = toInstallation(body, { required: [...required, 'eventType'], what: 'the lifecycle body' });
  if (installation.eventType !== event) {
    throw new InvalidInstallError(
      `the lifecycle body eventType is ${JSON.stringify(installation.eventType)}, expected "${event}"`,
      { status: 400 },
    );
  }
  return installation;
}
