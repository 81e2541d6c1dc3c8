/** Errors after which a connection must not be reused. SQLITE_BUSY and constraint errors are not among them. */
const BROKEN_CODES = new Set([
  'CLIENT_CLOSED',
  'TRANSACTION_CLOSED',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'HRANA_WEBSOCKET_ERROR',
  'HRANA_CLOSED_ERROR',
  'HRANA_PROTO_ERROR',
  'STREAM_EXPIRED',
  'SERVER_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isBrokenLibsqlError(err: unknown): boolean {
  const code = errorCode(err);
  if (code === undefined) return false;
  if (BROKEN_CODES.has(code)) return true;
  return code.startsWith('SQLITE_IOERR') || code.startsWith('HRANA_');
}

/** The SQLite result code the engine or sqld raised (SQLITE_CONSTRAINT, ...). */
export function libsqlErrorCode(err: unknown): string | undefined {
  const code = errorCode(err);
  return code?.startsWith('SQLITE_') ? code : undefined;
}

export function isRetryableLibsqlError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && code !== 'UNKNOWN') return code;
  return cause === undefined || cause === err ? undefined : errorCode(cause);
}
