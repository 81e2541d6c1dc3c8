import { messageOf } from '../src/shared/message-of';
import { SOCKET_ERROR_CODES, errorCode, findInCauses } from './server-url';

/**
 * mysql2 codes after which the connection is gone: the socket closed (PROTOCOL_CONNECTION_LOST,
 * the code seen when MariaDB KILLs an idle or a busy connection), a protocol desync, a TLS refusal.
 */
const BROKEN_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'PROTOCOL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'CR_SERVER_GONE_ERROR',
  'CR_SERVER_LOST',
]);

/**
 * Server error numbers for the same: 1053 server shutdown, 1927 connection killed (MariaDB),
 * 2006 server has gone away, 2013 lost connection during query, 4031 disconnected for inactivity (MySQL 8).
 */
const BROKEN_ERRNOS = new Set([1053, 1927, 2006, 2013, 4031]);

export function isBrokenMysqlError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  // mysql2 marks every error after which the connection cannot be used with `fatal: true`.
  if ((err as { fatal?: unknown }).fatal === true) return true;
  const code = errorCode(err);
  if (code !== undefined && (BROKEN_CODES.has(code) || SOCKET_ERROR_CODES.has(code))) return true;
  const errno = (err as { errno?: unknown }).errno;
  if (typeof errno === 'number' && BROKEN_ERRNOS.has(errno)) return true;
  return messageOf(err).includes("Can't add new command when connection is in closed state");
}

/** The error number of an error the server sent (it carries a SQLSTATE too); client-side errors have none. */
export function mysqlErrorCode(err: unknown): string | undefined {
  return findInCauses(err, (e) => {
    const { errno, sqlState } = e as { errno?: unknown; sqlState?: unknown };
    return typeof sqlState === 'string' && typeof errno === 'number' && errno > 0 ? String(errno) : undefined;
  });
}

/** 1213 deadlock and 1205 lock wait timeout: roll back and run the transaction again. */
export function isRetryableMysqlError(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  const code = errorCode(err);
  return errno === 1213 || errno === 1205 || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

/** The server has no TLS (sslMode prefer tried it first). */
export function mysqlRefusedTls(err: unknown): boolean {
  return errorCode(err) === 'HANDSHAKE_NO_SSL_SUPPORT';
}

/**
 * The account or server may demand TLS (sslMode allow tried plain first): MySQL says 3159 secure
 * transport required. MariaDB 10.11 answers a plain connection refused by require_secure_transport
 * or REQUIRE SSL with 1045 Access denied, the same as a wrong password (seen on a private mariadbd,
 * test/integration/tls-mariadb.test.ts), so 1045 earns the one TLS retry too, as libpq's allow does
 * after any failed plain attempt.
 */
export function mysqlRequiresTls(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === 3159 || errno === 1045 || /secure transport|require.*ssl/i.test(messageOf(err));
}

/** Adds to a plain-text connection's 1045 that it may be TLS the server wants, which MariaDB does not say. */
export function explainPlainTextRefusal(err: unknown): unknown {
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (errno === 1045 && err instanceof Error) {
    err.message +=
      ' (the connection did not use TLS: a server with require_secure_transport=ON or an account with REQUIRE SSL refuses it with this same error; if so, set sslMode to require, verify-ca or verify-full)';
  }
  return err;
}
