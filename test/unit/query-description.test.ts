import { QueryDescriptions, dialectOf } from '../../src/observability/query-description';
import { summarizeSql } from '../../src/observability/query-summary';
import { scanSql, type SqlDialect } from '../../src/observability/sql-text';

const summary = (sql: string, dialect: SqlDialect = 'postgresql') => summarizeSql(scanSql(sql, dialect).tokens);
const sanitized = (sql: string, dialect: SqlDialect = 'postgresql') => scanSql(sql, dialect).sanitized;

describe('db.query.summary, after the conventions’ examples', () => {
  it.each([
    ['SELECT * FROM wuser_table WHERE username = $1', 'SELECT wuser_table'],
    ['INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = $1', 'INSERT shipping_details SELECT orders'],
    ['SELECT * FROM songs, artists WHERE songs.artist_id = artists.id', 'SELECT songs artists'],
    ['SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id) t', 'SELECT SELECT orders customers'],
    ['SELECT * FROM "song list", public.artists a', 'SELECT "song list" public.artists'],
    ['select 1', 'select'],
    ['UPDATE ONLY accounts SET balance = balance - 1 WHERE id = 7', 'UPDATE accounts'],
    ['DELETE FROM sessions WHERE expires < now()', 'DELETE sessions'],
    ['SELECT EXTRACT(epoch FROM created_at) FROM events', 'SELECT events'],
    ['SELECT * FROM t FOR UPDATE', 'SELECT t'],
    ['INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2 RETURNING id', 'INSERT t'],
    ['WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN customers ON true', 'SELECT orders SELECT recent customers'],
    ['CREATE TABLE IF NOT EXISTS orders (id int REFERENCES users(id))', 'CREATE TABLE orders'],
    ['DROP TABLE IF EXISTS a, b', 'DROP TABLE a b'],
    ['TRUNCATE orders', 'TRUNCATE orders'],
    ['EXPLAIN ANALYZE SELECT * FROM t', 'EXPLAIN SELECT t'],
    ["SET search_path TO 'x'", 'SET'],
    ['BEGIN', 'BEGIN'],
    ["ALTER ROLE app PASSWORD 'hunter2'", 'ALTER ROLE'],
    ['UPDATE a SET x = 1; SELECT pg_sleep(1)', 'UPDATE a SELECT'],
  ])('%s → %s', (sql, expected) => {
    expect(summary(sql)).toBe(expected);
  });

  it('reads MySQL’s and SQLite’s quoting and clauses', () => {
    expect(summary('SELECT * FROM `order items` WHERE a = "x"', 'mysql')).toBe('SELECT `order items`');
    expect(summary('INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 3', 'mysql')).toBe('INSERT t');
    expect(summary("REPLACE INTO t SELECT REPLACE(name, 'a', 'b') FROM u", 'mysql')).toBe('REPLACE t SELECT u');
    expect(summary('SELECT * FROM [my table] WHERE x = ?1', 'sqlite')).toBe('SELECT [my table]');
    expect(summary('PRAGMA journal_mode = WAL', 'sqlite')).toBe('PRAGMA');
  });

  it('stays at most 255 characters, cut between parts', () => {
    const sql = `SELECT * FROM ${Array.from({ length: 60 }, (_, i) => `table_number_${i}`).join(', ')}`;
    const cut = summary(sql);
    expect(cut.length).toBeLessThanOrEqual(255);
    expect(cut.split(' ').every((part) => part === 'SELECT' || /^table_number_\d+$/.test(part))).toBe(true);
  });
});

describe('db.query.text sanitized: no literal survives', () => {
  const SECRET = 'hunter2';
  it.each<[SqlDialect, string, string]>([
    ['postgresql', `SELECT * FROM t WHERE a = '${SECRET}' AND b = 42 AND c = 1.5e3 AND d = TRUE`, 'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?'],
    ['postgresql', `SELECT 'it''s ${SECRET}'`, 'SELECT ?'],
    ['postgresql', `SELECT E'a\\' ${SECRET}'`, 'SELECT ?'],
    // Standard strings take no backslash escape: 'a\' ends there, and the next literal is one too.
    ['postgresql', `SELECT 'a\\', '${SECRET}'`, 'SELECT ?, ?'],
    ['postgresql', `SELECT $$ ${SECRET} $$, $tag$ it's ${SECRET} $tag$`, 'SELECT ?, ?'],
    ['postgresql', `SELECT X'DEADBEEF', B'0101', 0x1F`, 'SELECT ?, ?, ?'],
    ['postgresql', `SELECT $1, $2::int -- ${SECRET}\nFROM t /* ${SECRET} */`, 'SELECT $1, $2::int  \nFROM t  '],
    ['postgresql', `ALTER ROLE app PASSWORD '${SECRET}'`, 'ALTER ROLE app PASSWORD ?'],
    ['postgresql', `SELECT '${SECRET}`, 'SELECT ?'],
    ['mysql', `SELECT * FROM t WHERE a = "${SECRET}" AND b = 'it\\'s ${SECRET}' # ${SECRET}`, 'SELECT * FROM t WHERE a = ? AND b = ?  '],
    ['sqlite', `SELECT * FROM "t" WHERE x = ?1 AND y = :name AND z = X'ABCD' AND w = '${SECRET}'`, 'SELECT * FROM "t" WHERE x = ?1 AND y = :name AND z = ? AND w = ?'],
    ['other', `SELECT "${SECRET}", '${SECRET}'`, 'SELECT ?, ?'],
  ])('%s: %s', (dialect, sql, expected) => {
    expect(sanitized(sql, dialect)).toBe(expected);
    expect(sanitized(sql, dialect)).not.toContain(SECRET);
  });

  it('keeps identifiers with digits and placeholders as written', () => {
    expect(sanitized('SELECT t1.c2 FROM t1 WHERE id = $10')).toBe('SELECT t1.c2 FROM t1 WHERE id = $10');
  });
});

describe('QueryDescriptions', () => {
  it('keeps a parameterized text as written and sanitizes one without parameters', () => {
    const d = new QueryDescriptions('postgresql');
    expect(d.describe("SELECT * FROM t WHERE a = $1 AND kind = 'x'", true)).toEqual({ summary: 'SELECT t', text: "SELECT * FROM t WHERE a = $1 AND kind = 'x'" });
    expect(d.describe("SELECT * FROM t WHERE kind = 'x'", false)).toEqual({ summary: 'SELECT t', text: 'SELECT * FROM t WHERE kind = ?' });
  });

  it('remembers what it read (the same object back), separately for each reading', () => {
    const d = new QueryDescriptions('postgresql');
    expect(d.describe("SELECT 'a'", false)).toBe(d.describe("SELECT 'a'", false));
    expect(d.describe("SELECT 'a'", true).text).toBe("SELECT 'a'");
  });

  it('reads MariaDB as MySQL and an unknown system strictly', () => {
    expect(dialectOf('mariadb')).toBe('mysql');
    expect(dialectOf('postgresql')).toBe('postgresql');
    expect(dialectOf('duckdb')).toBe('other');
  });
});
