import { transactionControl } from '../../adapters/transaction-control';

describe('transactionControl: the statements the libsql adapter must act on itself', () => {
  it.each([
    ['BEGIN', { kind: 'begin', mode: 'deferred' }],
    ['  begin immediate;', { kind: 'begin', mode: 'write' }],
    ['-- open it\nBEGIN EXCLUSIVE TRANSACTION', { kind: 'begin', mode: 'write' }],
    ['/* read */ BEGIN READONLY', { kind: 'begin', mode: 'read' }],
    ['COMMIT', { kind: 'commit' }],
    ['\tend transaction', { kind: 'commit' }],
    ['ROLLBACK', { kind: 'rollback' }],
    ['rollback to savepoint "sp1"', { kind: 'rollbackTo', name: 'sp1' }],
    ['SAVEPOINT Sp', { kind: 'savepoint', name: 'sp' }],
    ['release sp', { kind: 'release', name: 'sp' }],
  ])('recognises %j', (sql, expected) => {
    expect(transactionControl(sql)).toEqual(expected);
  });

  it.each([
    'UPDATE accounts SET balance = balance - 1 WHERE id = ?',
    'INSERT INTO t VALUES (1)',
    'DELETE FROM t',
    'SELECT 1',
    'SELECT * FROM "begin"',
    'REPLACE INTO t VALUES (1)',
    'END_OF_DAY_REPORT',
    'begin_work()',
    '(SELECT 1)',
    '-- BEGIN\nSELECT 1',
    '',
  ])('leaves %j to the driver', (sql) => {
    expect(transactionControl(sql)).toBeUndefined();
  });
});
