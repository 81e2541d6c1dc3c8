import { ConfigError } from '../shared/errors';
import { Secret } from '../shared/secret';
import { ProvidedSecret, type SecretProvider, type SecretSource } from '../shared/secret-provider';

/** The option that makes a pool use the same secret as another pool's resolved one (its read replicas). */
export function secretOption(source: SecretSource): Secret | SecretProvider {
  return source instanceof Secret ? source : () => source.fetch();
}

/** What the `password` and `authToken` options accept: the secret itself, or a function that gives it per connection. */
export type SecretOption = string | Secret | SecretProvider;

/**
 * Reads a `password` or `authToken` option. An empty string counts as not given (a variable set to
 * nothing must not replace the URL's password with nothing). Anything else that is not a string, a
 * Secret or a function is a ConfigError that names the option and the type, never the value.
 */
export function secretFromOption(option: 'password' | 'authToken', value: unknown): SecretSource | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return new Secret(value);
  if (value instanceof Secret) return value;
  if (typeof value === 'function') return new ProvidedSecret(value as SecretProvider);
  throw new ConfigError(
    `option ${option}`,
    `option ${option} is a ${Array.isArray(value) ? 'array' : typeof value}: expected a string, a Secret, or a function returning the ${option === 'password' ? 'password' : 'token'} (string or Promise<string>) for each new connection.`,
  );
}
