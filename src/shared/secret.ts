import { inspect, types } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A password or token that prints as `[redacted]` in every form a value can be printed:
 * String(), template strings, JSON.stringify and util.inspect. Only `reveal()` gives it back,
 * so a secret can only leak through code that asks for it by name.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/** Replaces every occurrence of each secret in a text (an error message from a driver, say). */
export function redactText(text: string, secrets: readonly (Secret | string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    const raw = secret instanceof Secret ? secret.reveal() : secret;
    if (raw && raw.length >= 3) out = out.split(raw).join(REDACTED);
    if (raw && raw.length >= 3) {
      const encoded = encodeURIComponent(raw);
      if (encoded !== raw) out = out.split(encoded).join(REDACTED);
    }
  }
  return out;
}

/** A URL with its password (and any token-like query parameter) replaced, safe to print. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // `user:pw@host/db` (no scheme) parses as scheme "user:" with an opaque path: not ours to trust.
    if (!parsed.host && url.includes('@')) return maskUnparsed(url);
    // `user:123#pw@host`: an unencoded '#' ends the authority, so the user parses as the host, the
    // digits as the port, and the password hides in the fragment, where nothing would mask it.
    if (parsed.hash.includes('@')) return maskUnparsed(url);
    const secretKeys = [...parsed.searchParams.keys()].filter((key) => SECRET_PARAM.test(key));
    // Re-serialising changes some URLs (file:app.db becomes file:///app.db): leave clean ones as given.
    if (!parsed.password && secretKeys.length === 0) return url;
    if (parsed.password) parsed.password = REDACTED;
    for (const key of secretKeys) parsed.searchParams.set(key, REDACTED);
    return parsed.toString().split(encodeURIComponent(REDACTED)).join(REDACTED);
  } catch {
    return maskUnparsed(url);
  }
}

const SECRET_PARAM = /token|password|secret|key/i;

/**
 * A URL that cannot be parsed. A password may hold a raw '@', so hide everything from "user:" to
 * the last '@' (too much rather than too little), then every token-like parameter.
 */
function maskUnparsed(url: string): string {
  const userInfo = url.includes('//') ? /(\/\/[^:/@]*:).*@/ : /^([^:/@]*:).*@/;
  return url
    .replace(userInfo, `$1${REDACTED}@`)
    .replace(/([?&][^=&#]*(?:token|password|secret|key)[^=&#]*=)[^&#]*/gi, `$1${REDACTED}`);
}

/**
 * Takes every secret out of an error a driver raised: its message, its stack (which repeats the
 * message, and is what util.inspect prints) and, down the chain, its causes. Returns the same error.
 */
export function redactError<E>(err: E, secrets: readonly (Secret | string | undefined)[], depth = 0): E {
  if (!isError(err) || depth > 5) return err;
  const message = redactText(err.message, secrets);
  if (message !== err.message) err.message = message;
  if (typeof err.stack === 'string') {
    const stack = redactText(err.stack, secrets);
    if (stack !== err.stack) err.stack = stack;
  }
  if (err.cause !== undefined) redactError(err.cause, secrets, depth + 1);
  return err;
}

/**
 * An Error from any realm: errors raised by node:net inside a vm context (jest runs tests in one)
 * fail `instanceof Error`, and must not lose their message, code and cause because of it.
 */
export function isError(err: unknown): err is Error {
  return err instanceof Error || types.isNativeError(err);
}

/** The secret parts of a database URL: the whole URL and its password, decoded. */
export function urlSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(decodeURIComponent(parsed.password), parsed.password);
    for (const [key, value] of parsed.searchParams) if (SECRET_PARAM.test(key)) secrets.push(value);
  } catch {
    // An unparsable URL never got this far (resolveConfig rejects it); the whole URL is listed.
  }
  return secrets;
}

export { REDACTED };
