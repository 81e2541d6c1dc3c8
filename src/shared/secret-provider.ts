import { inspect } from 'node:util';
import { Secret } from './secret';

/**
 * A function that gives the password or token for one new connection: an RDS IAM token that lasts
 * 15 minutes, a Vault lease, a Turso token, a password read from a file that a rotation job
 * rewrites. lifeguard calls it for every connection it opens, never caches its answer, and never
 * prints it.
 */
export type SecretProvider = () => string | Promise<string>;

/** How a provider is shown wherever a config is printed: that there is one, never what it gave. */
export const PROVIDER_LABEL = '(function)';

/** Values a provider gave that are still remembered, to be scrubbed from errors (see recent()). */
const REMEMBERED_VALUES = 4;

/**
 * A password or token that comes from a SecretProvider, fetched for each new connection. It prints
 * as `(function)` in every form a value can be printed (String(), JSON.stringify, util.inspect),
 * and remembers the last few values its function gave so that an error echoing one of them (a
 * driver's, or the function's own) can be redacted like any other secret.
 */
export class ProvidedSecret {
  readonly #provider: SecretProvider;
  readonly #recent: string[] = [];

  constructor(provider: SecretProvider) {
    this.#provider = provider;
  }

  /**
   * Calls the function once. Rejects with its error as it threw it, or with a TypeError when it
   * gave something other than a non-empty string; the pool words either as a ConnectionError.
   */
  async fetch(): Promise<string> {
    const value: unknown = await this.#provider();
    if (typeof value !== 'string') {
      throw new TypeError(`it returned ${value === null ? 'null' : typeof value}, not a string`);
    }
    if (value === '') throw new TypeError('it returned an empty string');
    if (!this.#recent.includes(value)) {
      this.#recent.push(value);
      if (this.#recent.length > REMEMBERED_VALUES) this.#recent.shift();
    }
    return value;
  }

  /** The last values the function gave, newest last: secrets to redact, never to print. */
  recent(): readonly string[] {
    return this.#recent;
  }

  toString(): string {
    return PROVIDER_LABEL;
  }

  toJSON(): string {
    return PROVIDER_LABEL;
  }

  [inspect.custom](): string {
    return PROVIDER_LABEL;
  }

  [Symbol.toPrimitive](): string {
    return PROVIDER_LABEL;
  }
}

/** A configured password or token: a fixed Secret, or a function asked for each new connection. */
export type SecretSource = Secret | ProvidedSecret;

/** The text of a secret for one new connection: the fixed value, or the function's answer now. */
export function secretForConnection(source: SecretSource): Promise<string> {
  return source instanceof Secret ? Promise.resolve(source.reveal()) : source.fetch();
}

/** The secret texts a source stands for right now: the fixed value, or what its function gave lately. */
export function knownSecretTexts(source: SecretSource | undefined): readonly string[] {
  if (source === undefined) return [];
  return source instanceof Secret ? [source.reveal()] : source.recent();
}
