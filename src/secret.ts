import { inspect } from 'node:util';

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
    const secretKeys = [...parsed.searchParams.keys()].filter((key) => /token|password|secret|key/i.test(key));
    // Re-serialising changes some URLs (file:app.db becomes file:///app.db): leave clean ones as given.
    if (!parsed.password && secretKeys.length === 0) return url;
    if (parsed.password) parsed.password = REDACTED;
    for (const key of secretKeys) parsed.searchParams.set(key, REDACTED);
    return parsed.toString().split(encodeURIComponent(REDACTED)).join(REDACTED);
  } catch {
    // Not a URL we can parse: hide anything between "://user:" and "@".
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, `$1${REDACTED}@`);
  }
}

export { REDACTED };
