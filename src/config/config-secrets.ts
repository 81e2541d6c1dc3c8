import { inspect } from 'node:util';
import { REDACTED, Secret, urlSecrets } from '../shared/secret';
import { knownSecretTexts, ProvidedSecret } from '../shared/secret-provider';
import type { ResolvedConfig } from './types';

/**
 * Every secret text in a resolved config: URLs, their passwords, the password option and the auth
 * token (for a function, the values it gave lately). Driver errors are scrubbed of these before
 * anyone sees them, since drivers echo URLs and passwords back. Read at each error, not once: a
 * function's values change.
 */
export function configSecrets(config: ResolvedConfig): string[] {
  const urls = [config.secretUrl, ...config.secretReadReplicaUrls].map((secret) => secret.reveal());
  return [...urls.flatMap(urlSecrets), ...knownSecretTexts(config.password), ...knownSecretTexts(config.authToken)];
}

const SECRET_KEY = /pass|secret|token|key|pfx|credential/i;
const PEM = /-----BEGIN [A-Z ]+-----/;

/** A copy for printing: values under secret-sounding keys, and any PEM text, replaced. */
function masked(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return PEM.test(value) ? REDACTED : value;
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => masked(item, depth + 1));
  if (value instanceof Secret || Buffer.isBuffer(value)) return REDACTED;
  if (value instanceof ProvidedSecret) return String(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEY.test(key) && item !== undefined ? REDACTED : masked(item, depth + 1);
  return out;
}

/**
 * Adapter options may hold a driver password or a TLS private key. Adapters read the object as
 * given; printing it (JSON.stringify, util.inspect, and so the whole config) shows a masked copy.
 */
export function printSafe<T extends object>(value: T): T {
  const view = () => masked(value);
  Object.defineProperty(value, 'toJSON', { value: view, enumerable: false });
  Object.defineProperty(value, inspect.custom, { value: view, enumerable: false });
  return value;
}
