import { isBrokenMysqlError, isRetryableMysqlError } from '../../adapters/mysql-errors';
import { isBrokenPostgresError, isRetryablePostgresError } from '../../adapters/postgres-errors';
import { isBrokenSqliteError, isRetryableSqliteError } from '../../adapters/sqlite';

const withCode = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`error ${code}`), { code, ...extra });

describe('PostgreSQL errors that break a connection', () => {
  it.each(['57P01', '57P02', '57P03', '25P03', '08000', '08003', '08006', '08001', '08004', '08P01', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH'])(
    '%s breaks it',
    (code) => expect(isBrokenPostgresError(withCode(code))).toBe(true),
  );

  it.each(['Connection terminated', 'Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable'])(
    '"%s" breaks it',
    (message) => expect(isBrokenPostgresError(new Error(message))).toBe(true),
  );

  it('any FATAL report breaks it, whatever its SQLSTATE', () => {
    expect(isBrokenPostgresError(withCode('XX000', { severity: 'FATAL' }))).toBe(true);
  });

  it.each(['42601', '23505', '57014', '40001', '25P02', '22012'])('%s (a statement error) leaves it usable', (code) => {
    expect(isBrokenPostgresError(withCode(code, { severity: 'ERROR' }))).toBe(false);
  });

  it('retries serialization failures and deadlocks only', () => {
    expect(['40001', '40P01', '23505', '57P01'].map((code) => isRetryablePostgresError(withCode(code)))).toEqual([true, true, false, false]);
  });
});

describe('MySQL/MariaDB errors that break a connection', () => {
  it.each(['PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ER_CONNECTION_KILLED', 'CR_SERVER_LOST'])(
    '%s breaks it',
    (code) => expect(isBrokenMysqlError(withCode(code))).toBe(true),
  );

  it('any error mysql2 marks fatal breaks it', () => {
    expect(isBrokenMysqlError(Object.assign(new Error("Can't write in closed state"), { fatal: true }))).toBe(true);
  });

  it.each([1053, 1927, 2006, 2013, 4031])('server errno %s breaks it', (errno) => {
    expect(isBrokenMysqlError(Object.assign(new Error('gone'), { errno, code: 'X' }))).toBe(true);
  });

  it.each([
    ['ER_DUP_ENTRY', 1062],
    ['ER_PARSE_ERROR', 1064],
    ['ER_LOCK_DEADLOCK', 1213],
    ['ER_NO_SUCH_TABLE', 1146],
  ])('%s (a statement error, not fatal) leaves it usable', (code, errno) => {
    expect(isBrokenMysqlError(withCode(code, { errno, fatal: false }))).toBe(false);
  });

  it('retries deadlocks (1213) and lock wait timeouts (1205) only', () => {
    expect([1213, 1205, 1062].map((errno) => isRetryableMysqlError({ errno }))).toEqual([true, true, false]);
  });
});

describe('SQLite errors that break a connection', () => {
  it.each(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_READONLY_DBMOVED'])(
    '%s breaks it',
    (code) => expect(isBrokenSqliteError(withCode(code))).toBe(true),
  );

  it('a closed handle breaks it', () => {
    expect(isBrokenSqliteError(new TypeError('The database connection is not open'))).toBe(true);
  });

  it.each(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY', 'SQLITE_ERROR', 'SQLITE_READONLY'])('%s leaves it usable', (code) => {
    expect(isBrokenSqliteError(withCode(code))).toBe(false);
  });

  it('retries SQLITE_BUSY and its extended codes only', () => {
    expect(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_CONSTRAINT'].map((code) => isRetryableSqliteError(withCode(code)))).toEqual([true, true, false]);
  });
});
