/** Something with pino's method shape: an object first, then a message. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Used when no logger is given: silent for debug and info, and only what a user must see
 * (leaks, slow queries, a database that cannot be reached) goes to stderr.
 */
export const defaultLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => console.warn(`${msg ?? 'lifeguard'} ${printable(obj)}`),
  error: (obj, msg) => console.error(`${msg ?? 'lifeguard'} ${printable(obj)}`),
};

/** JSON for a log line; a value JSON cannot hold (a cycle, a BigInt) must not turn logging into a throw. */
function printable(obj: object): string {
  try {
    return JSON.stringify(obj, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : typeof value === 'bigint' ? String(value) : value));
  } catch {
    return '[unprintable details]';
  }
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The user's logger, made unable to throw into the pool: a log line is written from inside a
 * release, a timer or a query's finally, and a logger that throws there must not fail the caller
 * or leave a connection half-returned.
 */
export function guardedLogger(logger: Logger): Logger {
  const guard =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void => {
      try {
        logger[level](obj, msg);
      } catch {
        // Nowhere left to report a broken logger to.
      }
    };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}
