/** Parsers for flag values: a bad value is a usage error (exit 2) that names the flag. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config';

export function wholeNumber(least: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < least) {
      throw new InvalidArgumentError(`expected a whole number ≥ ${least}, got ${JSON.stringify(raw)}.`);
    }
    return value;
  };
}

export function positiveNumber(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`expected a number ≥ 0, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

/** A duration in ms: a bare number is ms, or 500ms, 10s, 2m. */
export function durationMs(raw: string): number {
  const value = parseDuration(raw, 'ms');
  if (value === undefined) throw new InvalidArgumentError(`expected a duration such as 500ms, 10s or 2m, got ${JSON.stringify(raw)}.`);
  return value;
}
