/** SQLite's primary result codes by name: an extended code (SQLITE_CONSTRAINT_PRIMARYKEY) starts with one of them. */
const BASE_CODES = new Set([
  'SQLITE_ERROR', 'SQLITE_INTERNAL', 'SQLITE_PERM', 'SQLITE_ABORT', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_NOMEM',
  'SQLITE_READONLY', 'SQLITE_INTERRUPT', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTFOUND', 'SQLITE_FULL',
  'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_EMPTY', 'SQLITE_SCHEMA', 'SQLITE_TOOBIG', 'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH', 'SQLITE_MISUSE', 'SQLITE_NOLFS', 'SQLITE_AUTH', 'SQLITE_FORMAT', 'SQLITE_RANGE', 'SQLITE_NOTADB',
  'SQLITE_NOTICE', 'SQLITE_WARNING',
]);

/** SQLITE_CONSTRAINT_PRIMARYKEY → SQLITE_CONSTRAINT, as libsql reports `code` (with the extended one in `extendedCode`). */
export function sqliteBaseCode(code: string): string {
  for (let end = code.length; end > 0; end = code.lastIndexOf('_', end - 1)) {
    const prefix = code.slice(0, end);
    if (BASE_CODES.has(prefix)) return prefix;
  }
  return code;
}

/**
 * An error SQLite raised through better-sqlite3 or libsql (their SqliteError): a `code` such as
 * SQLITE_CONSTRAINT_PRIMARYKEY. Duck-typed: better-sqlite3 builds its SqliteError without Error's
 * constructor, from the class its native side saw first, which in a test runner may belong to
 * another realm (neither instanceof Error nor a "native error" then).
 */
export function isSqliteError(err: unknown): err is Error & { code: string; rawCode?: number } {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  return typeof message === 'string' && typeof code === 'string' && code.startsWith('SQLITE_');
}
