import { urlSecrets } from '../secret';
import type { ResolvedConfig } from './types';

/**
 * Every secret text in a resolved config: URLs, their passwords, the auth token. Driver errors are
 * scrubbed of these before anyone sees them, since drivers echo URLs and passwords back.
 */
export function configSecrets(config: ResolvedConfig): string[] {
  const urls = [config.secretUrl, ...config.secretReadReplicaUrls].map((secret) => secret.reveal());
  const secrets = urls.flatMap(urlSecrets);
  if (config.authToken) secrets.push(config.authToken.reveal());
  return secrets;
}
