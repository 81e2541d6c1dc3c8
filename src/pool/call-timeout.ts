import { ConfigError } from '../shared/errors';

/** The longest delay setTimeout keeps; beyond it Node fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A per-call `timeoutMs` the pool can honour, or the ConfigError saying why not. 0, a negative
 * number or NaN used to mean "no limit" by accident, and a call meant to be bounded waited
 * forever; leaving the option out is how a caller asks for the pool's own acquireTimeoutMs.
 */
export function invalidTimeout(timeoutMs: unknown): ConfigError | undefined {
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs === 'number' && timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS) return undefined;
  return new ConfigError(
    'timeoutMs',
    `timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMER_MS}; got ${typeof timeoutMs === 'number' ? String(timeoutMs) : JSON.stringify(timeoutMs)}. ` +
      'Leave it out to use the pool\'s acquireTimeoutMs.',
  );
}
