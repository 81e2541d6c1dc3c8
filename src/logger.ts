import type { Logger } from './config/types';

/**
 * Used when no logger is given: silent for debug and info, and only what a user must see
 * (leaks, slow queries, a database that cannot be reached) goes to stderr.
 */
export const defaultLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => console.warn(`${msg ?? 'lifeguard'} ${JSON.stringify(obj)}`),
  error: (obj, msg) => console.error(`${msg ?? 'lifeguard'} ${JSON.stringify(obj)}`),
};

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
