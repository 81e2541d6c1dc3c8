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
    if (parsed.password) parsed.password = REDACTED;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|password|secret|key/i.test(key)) parsed.searchParams.set(key, REDACTED);
    }
    return parsed.toString().split(encodeURIComponent(REDACTED)).join(REDACTED);
  } catch {
    // Not a URL we can parse: hide anything between "://user:" and "@".
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, `$1${REDACTED}@`);
  }
}

export { REDACTED };

/**
 * The secret parts of a connection URL, for redactText: the whole URL, its password as written and
 * decoded, and token-like query parameters. A driver that echoes only the password (or only the
 * token) in an error is then caught too, not just one that echoes the whole URL.
 */
export function urlSecrets(url: Secret | string | undefined): string[] {
  const raw = url instanceof Secret ? url.reveal() : url;
  if (!raw) return [];
  const secrets = [raw];
  try {
    const parsed = new URL(raw);
    if (parsed.password) secrets.push(parsed.password, safeDecode(parsed.password));
    for (const [key, value] of parsed.searchParams) if (/token|password|secret|key/i.test(key) && value) secrets.push(value);
  } catch {
    const match = /\/\/[^:/@]*:([^@]*)@/.exec(raw);
    if (match?.[1]) secrets.push(match[1], safeDecode(match[1]));
  }
  return secrets;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
