/**
 * Which pool.query statements may be pipelined: the SQL kinds that leave a session as they found
 * it, and only once the pool has seen the text run short (statement-times.ts).
 */
import { isShareableSql } from '../../src/pool/pipeline/shareable-sql';
import { StatementTimes } from '../../src/pool/pipeline/statement-times';

describe('isShareableSql', () => {
  it.each([
    'SELECT 1',
    '  select * from t where id = $1',
    '-- a comment\nSELECT 1',
    '/* hint */ WITH x AS (SELECT 1) SELECT * FROM x',
    'INSERT INTO t VALUES ($1)',
    'UPDATE t SET v = 1',
    'DELETE FROM t',
    'VALUES (1)',
    'TABLE t',
    'SELECT 1;',
    'SELECT 1;  \n',
  ])('lets %j share a connection', (sql) => {
    expect(isShareableSql(sql)).toBe(true);
  });

  it.each([
    'BEGIN',
    'START TRANSACTION',
    'COMMIT',
    'SET statement_timeout = 0',
    'LISTEN x',
    'COPY t FROM STDIN',
    'DECLARE c CURSOR FOR SELECT 1',
    'PREPARE p AS SELECT 1',
    'LOCK TABLE t',
    'SELECT 1; BEGIN',
    "SELECT 'a;b'",
    '-- only a comment',
    '',
  ])('runs %j alone', (sql) => {
    expect(isShareableSql(sql)).toBe(false);
  });
});

describe('StatementTimes', () => {
  it('pipelines a text only after it has been seen to run short', () => {
    const times = new StatementTimes(5);
    expect(times.shortEstimate('SELECT 1')).toBeUndefined();
    times.record('SELECT 1', 0.2);
    expect(times.shortEstimate('SELECT 1')).toBe(0.2);
  });

  it('keeps a long statement out, and never pipelines a text that may not share', () => {
    const times = new StatementTimes(5);
    times.record('SELECT pg_sleep(0.2)', 200);
    times.record('BEGIN', 0.1);
    expect(times.shortEstimate('SELECT pg_sleep(0.2)')).toBeUndefined();
    expect(times.shortEstimate('BEGIN')).toBeUndefined();
  });

  it('comes down at once on a fast run and goes up by halves on slow ones', () => {
    const times = new StatementTimes(5);
    times.record('SELECT 1', 30); // the first run on a fresh connection
    expect(times.shortEstimate('SELECT 1')).toBeUndefined();
    times.record('SELECT 1', 0.4);
    expect(times.shortEstimate('SELECT 1')).toBe(0.4);
    times.record('SELECT 1', 8.4); // one busy moment: 0.4 + (8.4 - 0.4) / 2 = 4.4, still short
    expect(times.shortEstimate('SELECT 1')).toBeCloseTo(4.4);
    times.record('SELECT 1', 8.4); // slow again: 6.4, out
    expect(times.shortEstimate('SELECT 1')).toBeUndefined();
  });

  it('forgets the oldest text beyond its bound', () => {
    const times = new StatementTimes(5);
    for (let i = 0; i < 2001; i++) times.record(`SELECT ${i}`, 0.1);
    expect(times.serverMsOf('SELECT 0')).toBeUndefined();
    expect(times.serverMsOf('SELECT 2000')).toBe(0.1);
  });
});
