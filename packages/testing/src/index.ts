export {
  generateSigningKey,
  type KeyResponse,
  type KeyServer,
  type SigningKey,
  startKeyServer,
} from './key-server.js';
export { type InstallPayload, installPayload, type SignInstallOptions, signInstall } from './signed-install.js';
