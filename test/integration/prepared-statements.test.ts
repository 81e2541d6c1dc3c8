/**
 * preparedStatements on the real PostgreSQL (and a real PgBouncer in transaction mode): which
 * pool.query texts the server keeps prepared, and that a statement whose prepared form the server
 * lost or outgrew still runs, exactly once. What the server holds is read from the session itself
 * (pg_prepared_statements, through a lease on the pool's only connection).
 */
import { Client as PgClient, Query as PgQuery } from 'pg';
import { createPool, type Pool, type PoolOptions } from '../../src';
import type { Logger } from '../../src/shared/logger';
import { silentLogger } from '../../src/shared/logger';
import { MAX_LOSSES, MAX_PREPARED_TEXTS } from '../../adapters/postgres-prepared';
import { describePostgres, POSTGRES_URL, REQUIRE_DATABASES, uniqueName } from '../helpers/databases';
import { PgBouncer, pgbouncerBinary } from '../helpers/pgbouncer';

jest.setTimeout(30_000);

const pools: Pool[] = [];
const open = (options: PoolOptions = {}) => {
  const pool = createPool({ name: uniqueName('prep'), url: POSTGRES_URL, env: {}, profile: 'test', logger: silentLogger, sslMode: 'disable', ...options });
  pools.push(pool);
  return pool;
};

const closeAll = () => Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
afterEach(closeAll);

async function dropTable(table: string): Promise<void> {
  await open({ max: 1 }).query(`DROP TABLE IF EXISTS ${table}`);
  await closeAll();
}

/** The statements lifeguard left prepared on the pool's connection (max 1: the only one). */
async function preparedOn(pool: Pool): Promise<string[]> {
  const lease = await pool.acquire();
  try {
    const result = await lease.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'lifeguard\\_%' ORDER BY prepare_time");
    return result.rows.map((row) => row.statement);
  } finally {
    lease.release();
  }
}

describePostgres('prepared statements', () => {
  const table = uniqueName('prepared');

  beforeAll(async () => {
    const pool = open({ max: 1 });
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text, n int NOT NULL DEFAULT 0)`);
    await pool.query(`INSERT INTO ${table} (id, note) SELECT g, 'note ' || g FROM generate_series(1, 100) g`);
  });

  afterAll(async () => {
    await dropTable(table);
  });

  it('keeps a parameterized pool.query text prepared from its second run, and no parameterless or one-off text', async () => {
    const pool = open({ max: 1 });
    const byId = `SELECT id, note FROM ${table} WHERE id = $1`;
    expect((await pool.query(byId, [1])).rows).toEqual([{ id: 1, note: 'note 1' }]);
    expect(await preparedOn(pool)).toEqual([]);
    for (const id of [2, 3, 4]) expect((await pool.query(byId, [id])).rows).toEqual([{ id, note: `note ${id}` }]);
    for (let i = 0; i < 3; i++) await pool.query(`SELECT count(*) FROM ${table}`);
    await pool.query(`SELECT note FROM ${table} WHERE id = $1 AND n >= 0`, [5]);
    expect(await preparedOn(pool)).toEqual([byId]);
  });

  it('prepares through a pg.Client subclass (the Client option) and with rowMode arrays, and answers each call alike', async () => {
    const sent: unknown[] = [];
    // What reaches pg: a named statement goes as a pg.Query (pg copies a config object first).
    class RecordingClient extends PgClient {
      override query(...args: unknown[]): never {
        sent.push(args[0]);
        return (super.query as (...a: unknown[]) => never)(...args);
      }
    }
    const pool = open({ max: 1, adapterOptions: { Client: RecordingClient } });
    const byId = `SELECT id, note FROM ${table} WHERE id = $1 AND id > 0`;
    for (const id of [1, 2, 3]) expect((await pool.query(byId, [id])).rows).toEqual([{ id, note: `note ${id}` }]);
    for (const id of [4, 5]) expect((await pool.query(byId, [id], { rowMode: 'array' })).rows).toEqual([[id, `note ${id}`]]);
    expect(await preparedOn(pool)).toEqual([byId]);
    const named = sent.filter((q) => (q as { name?: unknown }).name !== undefined);
    expect(named.length).toBe(4);
    expect(named.slice(0, 2).every((q) => q instanceof PgQuery)).toBe(true);
    expect(named.slice(2).every((q) => !(q instanceof PgQuery) && (q as { rowMode?: unknown }).rowMode === 'array')).toBe(true);
  });

  it('never prepares what a lease or a transaction runs', async () => {
    const pool = open({ max: 1 });
    const text = `SELECT note FROM ${table} WHERE id = $1 AND note IS NOT NULL`;
    const lease = await pool.acquire();
    for (const id of [1, 2, 3]) await lease.query(text, [id]);
    lease.release();
    await pool.transaction(async (tx) => {
      for (const id of [1, 2, 3]) await tx.query(text, [id]);
    });
    expect(await preparedOn(pool)).toEqual([]);
  });

  it('prepares nothing with preparedStatements off (DB_PREPARED_STATEMENTS=false)', async () => {
    const pool = open({ max: 1, env: { DB_PREPARED_STATEMENTS: 'false' } });
    expect(pool.config.preparedStatements).toBe(false);
    for (const id of [1, 2, 3]) await pool.query(`SELECT note FROM ${table} WHERE id = $1`, [id]);
    expect(await preparedOn(pool)).toEqual([]);
  });

  it(`prepares at most ${MAX_PREPARED_TEXTS} texts; the rest run unnamed`, async () => {
    const pool = open({ max: 1 });
    for (let k = 0; k < MAX_PREPARED_TEXTS + 20; k++) {
      const text = `SELECT id FROM ${table} WHERE id = $1 AND ${k} >= 0`;
      await pool.query(text, [1]);
      expect((await pool.query<{ id: number }>(text, [2])).rows).toEqual([{ id: 2 }]);
    }
    expect(await preparedOn(pool)).toHaveLength(MAX_PREPARED_TEXTS);
  });

  it('runs a statement again, unnamed and once, when a lease emptied the session (DISCARD ALL)', async () => {
    const pool = open({ max: 1 });
    const bump = `UPDATE ${table} SET n = n + 1 WHERE id = $1 RETURNING n`;
    const before = (await pool.query<{ n: number }>(`SELECT n FROM ${table} WHERE id = 50`)).rows[0].n;
    await pool.query(bump, [50]);
    await pool.query(bump, [50]);
    expect(await preparedOn(pool)).toEqual([bump]);
    const lease = await pool.acquire();
    await lease.query('DISCARD ALL');
    lease.release();
    // pg still believes the statement is parsed on this client: the server answers 26000.
    expect((await pool.query<{ n: number }>(bump, [50])).rows).toEqual([{ n: before + 3 }]);
    expect((await pool.query<{ n: number }>(bump, [50])).rows).toEqual([{ n: before + 4 }]);
    // The text stays unnamed on this connection rather than being parsed under its old name again.
    expect(await preparedOn(pool)).toEqual([]);
  });

  it('binds a value the column took after a migration (int to bigint), which the statement parsed before it would refuse', async () => {
    const pool = open({ max: 1 });
    const widened = uniqueName('bigint');
    await pool.query(`CREATE TABLE ${widened} (id int PRIMARY KEY, note text)`);
    try {
      await pool.query(`INSERT INTO ${widened} VALUES (1, 'small')`);
      // The result keeps its type (note), so only the parameter's parsed type goes stale.
      const byId = `SELECT note FROM ${widened} WHERE id = $1`;
      await pool.query(byId, [1]);
      await pool.query(byId, [1]);
      expect(await preparedOn(pool)).toContain(byId);
      await pool.query(`ALTER TABLE ${widened} ALTER COLUMN id TYPE bigint`);
      await pool.query(`INSERT INTO ${widened} VALUES (5000000000, 'big')`);
      // Named, $1 is still int4 and 5000000000 does not bind (22003): the statement had not run.
      expect((await pool.query(byId, ['5000000000'])).rows).toEqual([{ note: 'big' }]);
      expect((await pool.query(byId, ['5000000000'])).rows).toEqual([{ note: 'big' }]);
      expect((await pool.query(byId, [1])).rows).toEqual([{ note: 'small' }]);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${widened}`);
    }
  });

  it('gives the caller its own error for a value that binds nowhere, and keeps the text prepared', async () => {
    const pool = open({ max: 1 });
    const byId = `SELECT note FROM ${table} WHERE id = $1 AND id > 0`;
    await pool.query(byId, [1]);
    await pool.query(byId, [2]);
    await expect(pool.query(byId, ['not a number'])).rejects.toMatchObject({ code: '22P02', message: expect.stringContaining('invalid input syntax for type integer') });
    expect((await pool.query(byId, [3])).rows).toEqual([{ note: 'note 3' }]);
    // Still named on this connection: pg still records it as parsed (a text made unnamed is forgotten there).
    const lease = await pool.acquire();
    try {
      const parsed = (lease.raw as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
      expect(Object.values(parsed)).toContain(byId);
    } finally {
      lease.release();
    }
  });

  it('follows a change of result type on every pipelined caller (0A000, cached plan must not change result type)', async () => {
    const pool = open({ max: 2 });
    const wide = uniqueName('widened');
    await pool.query(`CREATE TABLE ${wide} (id int PRIMARY KEY, note text)`);
    try {
      await pool.query(`INSERT INTO ${wide} SELECT g, 'w' || g FROM generate_series(1, 64) g`);
      const all = `SELECT * FROM ${wide} WHERE id = $1`;
      const round = () => Promise.all(Array.from({ length: 64 }, (_, i) => pool.query<Record<string, unknown>>(all, [i + 1])));
      for (let r = 0; r < 3; r++) await round();
      expect(pool.stats().pipeline?.sent ?? 0).toBeGreaterThan(0);
      await pool.query(`ALTER TABLE ${wide} ADD COLUMN extra int NOT NULL DEFAULT 7`);
      const after = await round();
      expect(after.map((result) => result.rows[0])).toEqual(Array.from({ length: 64 }, (_, i) => ({ id: i + 1, note: `w${i + 1}`, extra: 7 })));
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${wide}`);
    }
  });
});

const noBouncer = pgbouncerBinary() === undefined;
const describeBouncer = noBouncer && !REQUIRE_DATABASES ? describe.skip : describePostgres;

describeBouncer('prepared statements behind PgBouncer in transaction mode (no max_prepared_statements)', () => {
  let bouncer: PgBouncer;
  const counter = uniqueName('bounced_counter');

  beforeAll(async () => {
    bouncer = await PgBouncer.start({ upstreamUrl: POSTGRES_URL, poolMode: 'transaction', defaultPoolSize: 2 });
  });

  afterAll(async () => {
    await dropTable(counter);
    await bouncer?.stop();
  });

  it('loses no caller and runs no write twice; stops preparing after the first losses, and says so once', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`) };
    const pool = open({ url: bouncer.url(), max: 4, logger, acquireTimeoutMs: 10_000 });
    await pool.query(`CREATE TABLE ${counter} (id int PRIMARY KEY, n int NOT NULL)`);
    await pool.query(`INSERT INTO ${counter} VALUES (1, 0)`);
    const bump = `UPDATE ${counter} SET n = n + 1 WHERE id = $1`;
    const read = `SELECT n FROM ${counter} WHERE id = $1`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 10; i++) {
          await pool.query(bump, [1]);
          await pool.query(read, [1]);
        }
      }),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect((await pool.query<{ n: number }>(read, [1])).rows).toEqual([{ n: 320 }]);
    const stopped = warnings.filter((line) => line.startsWith('lifeguard: stopped preparing statements'));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toContain(`lost ${MAX_LOSSES} prepared statements`);
    expect(stopped[0]).toContain('DB_PREPARED_STATEMENTS=false');
  });
});
