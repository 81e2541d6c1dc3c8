import { ConfigError } from '../errors';
import { SSL_MODES, type ValueKind } from './options';
import type { SslMode } from './types';

export type ParsedValue = number | boolean | string | string[];

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration. A bare number is in the variable's own unit (ms for *_MS, seconds for the
 * aliases documented in seconds); a suffix (500ms, 30s, 5m, 1h) overrides it. Returns ms.
 */
export function parseDuration(raw: string, unit: 'ms' | 's' = 'ms'): number | undefined {
  const match = DURATION.exec(raw.trim());
  if (!match) return undefined;
  const factor = match[2] ? UNIT_MS[match[2].toLowerCase()] : UNIT_MS[unit];
  return Math.round(Number(match[1]) * factor);
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Parses one text value (from a variable or a URL parameter) of the given kind, or throws ConfigError. */
export function parseValue(name: string, raw: string, kind: ValueKind): ParsedValue {
  const text = raw.trim();
  const fail = (expected: string): never => {
    throw new ConfigError(name, `${name}=${JSON.stringify(raw)} is not valid: expected ${expected}.`);
  };
  switch (kind) {
    case 'count':
      if (!/^\d+$/.test(text)) fail('a whole number of 0 or more, like 10');
      return Number(text);
    case 'ms':
    case 's': {
      const value = parseDuration(text, kind);
      if (value === undefined) fail(`a duration: a number of ${kind === 's' ? 'seconds' : 'milliseconds'}, or a value such as 500ms, 30s, 5m`);
      return value as number;
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      return fail('true or false (also 1/0, yes/no, on/off)');
    }
    case 'sslMode':
      return parseSslMode(name, text);
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'string':
      if (text.length === 0) fail('a non-empty value');
      return text;
  }
}

export function parseSslMode(name: string, raw: string): SslMode {
  const lower = raw.trim().toLowerCase();
  if ((SSL_MODES as readonly string[]).includes(lower)) return lower as SslMode;
  throw new ConfigError(name, `${name}=${JSON.stringify(raw)} is not an SSL mode: expected one of ${SSL_MODES.join(', ')}.`);
}

/** Checks a value given as an explicit option (already typed, but maybe NaN, negative or fractional). */
export function checkOptionValue(name: string, value: unknown, kind: ValueKind): ParsedValue {
  const fail = (expected: string): never => {
    throw new ConfigError(name, `option ${name}=${JSON.stringify(value)} is not valid: expected ${expected}.`);
  };
  switch (kind) {
    case 'count':
    case 'ms':
    case 's':
      if (typeof value === 'string') return parseValue(`option ${name}`, value, kind);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
        return fail(kind === 'count' ? 'a whole number of 0 or more' : 'a whole number of milliseconds, 0 or more');
      }
      return value;
    case 'bool':
      if (typeof value === 'string') return parseValue(`option ${name}`, value, 'bool');
      if (typeof value !== 'boolean') return fail('true or false');
      return value;
    case 'sslMode':
      return parseSslMode(`option ${name}`, String(value));
    case 'list':
      if (typeof value === 'string') return parseValue(name, value, 'list');
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return fail('a list of URLs');
      return value as string[];
    case 'string':
      if (typeof value !== 'string' || value.length === 0) return fail('a non-empty string');
      return value;
  }
}
