import { messageOf } from '../src/shared/message-of';
import { SOCKET_ERROR_CODES, errorCode, findInCauses } from './server-url';

/**
 * SQLSTATEs after which the session is gone or unusable:
 *   57P01 admin_shutdown (pg_terminate_backend, smart/fast shutdown), 57P02 crash_shutdown,
 *   57P03 cannot_connect_now (starting up, shutting down, in recovery),
 *   25P03 idle_in_transaction_session_timeout (the server closed the session),
 *   class 08 connection_exception (08000, 08003, 08006, 08001, 08004, 08P01 protocol violation).
 */
const BROKEN_SQLSTATES = new Set(['57P01', '57P02', '57P03', '25P03']);

/** What pg says when the socket under a client closed or the client was ended. */
const BROKEN_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout expired',
];

export function isBrokenPostgresError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = errorCode(err);
  if (code !== undefined) {
    if (BROKEN_SQLSTATES.has(code) || code.startsWith('08') || SOCKET_ERROR_CODES.has(code)) return true;
  }
  // A FATAL or PANIC error report ends the session, whatever its SQLSTATE.
  const severity = (err as { severity?: unknown }).severity;
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  const message = messageOf(err);
  return BROKEN_MESSAGES.some((text) => message.startsWith(text));
}

/** The SQLSTATE of an error the server sent (it has a severity); a socket error's code is no SQLSTATE. */
export function postgresErrorCode(err: unknown): string | undefined {
  return findInCauses(err, (e) => {
    const { code, severity } = e as { code?: unknown; severity?: unknown };
    return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  });
}

/** 40001 serialization_failure and 40P01 deadlock_detected: the whole transaction may be retried. */
export function isRetryablePostgresError(err: unknown): boolean {
  const code = errorCode(err);
  return code === '40001' || code === '40P01';
}

/** The server refused TLS (sslMode prefer tried it first): try again in plain text. */
export function serverRefusedTls(err: unknown): boolean {
  return messageOf(err).includes('The server does not support SSL connections');
}

/** pg_hba.conf accepts this client only over TLS (sslMode allow tried plain first). */
export function serverRequiresTls(err: unknown): boolean {
  return errorCode(err) === '28000' && /no encryption/i.test(messageOf(err));
}
