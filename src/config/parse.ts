import { ConfigError } from '../shared/errors';
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

/**
 * The longest duration a timer can wait: Node clamps a longer setTimeout to 1 ms (with only a
 * warning), so a connect timeout of 30 days would fire at once.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** A duration that is a whole number of milliseconds within the timer range, or undefined. */
function parseExactDuration(text: string, unit: 'ms' | 's'): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const factor = match[2] ? UNIT_MS[match[2].toLowerCase()] : UNIT_MS[unit];
  // toFixed: 1.1 * 1000 is 1100.0000000000002 in floating point.
  const value = Number((Number(match[1]) * factor).toFixed(6));
  // 2.5 ms is not a duration a timer can honour; rounding it silently would hide a typo.
  if (!Number.isInteger(value) || value > MAX_DURATION_MS) return undefined;
  return value;
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
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) fail('a whole number of 0 or more, like 10');
      return Number(text);
    case 'ms':
    case 's': {
      const value = parseExactDuration(text, kind);
      if (value === undefined) {
        fail(`a duration: a number of ${kind === 's' ? 'seconds' : 'milliseconds'} or a value such as 500ms, 30s, 5m, in whole milliseconds, at most ${MAX_DURATION_MS} ms (0: no limit)`);
      }
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
    case 'ratio': {
      const value = parseRatio(text);
      if (value === undefined) fail(RATIO_EXPECTED);
      return value as number;
    }
  }
}

const RATIO_EXPECTED = 'a share of max above 0 and at most 1, as a fraction (0.8) or a percentage (80%)';

/** 0.8 or 80%: a share in (0, 1]. */
function parseRatio(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(%)?$/.exec(text);
  if (!match) return undefined;
  const value = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  return value > 0 && value <= 1 ? value : undefined;
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
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || (kind !== 'count' && value > MAX_DURATION_MS)) {
        return fail(kind === 'count' ? 'a whole number of 0 or more' : `a whole number of milliseconds, 0 to ${MAX_DURATION_MS}`);
      }
      return value;
    case 'bool':
      if (typeof value === 'string') return parseValue(`option ${name}`, value, 'bool');
      if (typeof value !== 'boolean') return fail('true or false');
      return value;
    case 'sslMode':
      return parseSslMode(`option ${name}`, String(value));
    case 'list':
      if (typeof value === 'string') return parseValue(`option ${name}`, value, 'list');
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        // The list holds URLs: never echo it, a password could be in it.
        throw new ConfigError(name, `option ${name} is not valid: expected an array of URL strings (or one comma-separated string).`);
      }
      return [...(value as string[])];
    case 'string':
      if (typeof value !== 'string' || value.length === 0) return fail('a non-empty string');
      return value;
    case 'ratio':
      if (typeof value === 'string') return parseValue(`option ${name}`, value, 'ratio');
      if (typeof value !== 'number' || !(value > 0 && value <= 1)) return fail(RATIO_EXPECTED);
      return value;
  }
}
