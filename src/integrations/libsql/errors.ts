import { isSqliteError, sqliteBaseCode as baseCode } from '../../../adapters/sqlite-codes';
import { loadOptionalPackage } from '../../shared/optional-package';

interface LibsqlErrorLike extends Error {
  code: string;
  extendedCode?: string;
  rawCode?: number;
}
type LibsqlErrorClass = new (message: string, code: string, extendedCode?: string, rawCode?: number, cause?: Error) => LibsqlErrorLike;
type LibsqlBatchErrorClass = new (message: string, statementIndex: number, code: string, extendedCode?: string, rawCode?: number, cause?: Error) => LibsqlErrorLike;

/**
 * libsql's own error classes, so code written for createClient() catches what it always caught
 * (`err instanceof LibsqlError`, `err.code === 'SQLITE_CONSTRAINT'`), on a sqlite: pool too.
 */
export interface LibsqlErrorClasses {
  /** A new LibsqlError (message prefixed with its code, as libsql does). */
  error(message: string, code: string): Error;
  /** A new LibsqlBatchError for statement `index` (a LibsqlError where @libsql/client has no LibsqlBatchError). */
  statementError(message: string, index: number, code: string): Error;
  /** A driver error as libsql would raise it: better-sqlite3's SqliteError becomes a LibsqlError; lifeguard's own errors pass unchanged. */
  fromDriver(err: unknown): unknown;
  /** The error of a batch's statement `index`, as LibsqlBatchError with its statementIndex. */
  batchError(err: unknown, index: number): unknown;
}

export function libsqlErrors(): LibsqlErrorClasses {
  const driver = loadOptionalPackage<{ LibsqlError: LibsqlErrorClass; LibsqlBatchError?: LibsqlBatchErrorClass }>('@libsql/client', 'lifeguard/libsql');
  const { LibsqlError, LibsqlBatchError } = driver;

  function fromDriver(err: unknown): unknown {
    if (err instanceof LibsqlError || !isSqliteError(err)) return err;
    return new LibsqlError(err.message, baseCode(err.code), err.code, undefined, err);
  }

  return {
    error: (message, code) => new LibsqlError(message, code),
    statementError: (message, index, code) => (LibsqlBatchError === undefined ? new LibsqlError(message, code) : new LibsqlBatchError(message, index, code)),
    fromDriver,
    batchError(err, index) {
      const mapped = fromDriver(err);
      if (LibsqlBatchError === undefined || !(mapped instanceof LibsqlError) || mapped instanceof LibsqlBatchError) return mapped;
      const libsqlError = mapped as LibsqlErrorLike;
      const cause = libsqlError.cause instanceof Error ? libsqlError.cause : undefined;
      const message = cause?.message ?? libsqlError.message;
      return new LibsqlBatchError(message, index, libsqlError.code, libsqlError.extendedCode, libsqlError.rawCode, cause);
    },
  };
}
