/**
 * Kysely's own `.stream()` through LifeguardDialect on the local PostgreSQL (pg-cursor on the
 * lease's pg.Client) and MariaDB: rows come in chunks as the reader asks (the server has produced
 * no more than it was asked for), an early break leaves the connection clean and back in the pool,
 * an error mid-stream leaves it usable, a stream is one lifeguard operation, and the stream's
 * connection is never one pool.query pipelines on. A libsql pool refuses with a message naming
 * @libsql/client; a missing pg-cursor is an error naming the package.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { Registry } from 'prom-client';
import { createPool, registerPoolMetrics, type Pool, type PoolOptions } from '../../src';
import { LifeguardDialect } from '../../src/integrations/kysely';
import { loadPgCursor } from '../../src/integrations/kysely/pg-cursor';
import { PackageMissingError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { operationCount } from '../helpers/pg-pools';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL selects, no schema
type Db = any;
const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
});

function pool(url: string, options: PoolOptions = {}): Pool {
  const name = uniqueName('w14_kstream');
  const created = createPool({ url, name, applicationName: name, env: {}, profile: 'test', logger: silentLogger, max: 1, acquireTimeoutMs: 10_000, ...options });
  pools.push(created);
  return created;
}

const kysely = (p: Pool) => new Kysely<Db>({ dialect: new LifeguardDialect({ pool: p }) });
const series = (n: number) => sql<{ n: number; pid: number }>`(SELECT n, pg_backend_pid() AS pid FROM generate_series(1, ${sql.lit(n)}) AS n)`;
const pidOf = async (db: Kysely<Db>) => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0].pid;

describePostgres('Kysely .stream() on a lifeguard postgres pool (pg-cursor)', () => {
  const seq = uniqueName('w14_stream_seq');
  let admin: Client;
  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${seq}_admin` });
    await admin.connect();
    await admin.query(`CREATE SEQUENCE ${seq}`);
  });
  afterAll(async () => {
    await admin.query(`DROP SEQUENCE IF EXISTS ${seq}`);
    await admin.end();
  });

  it('streams every row through Kysely, and the driver hands them over in chunks of the size asked', async () => {
    const p = pool(POSTGRES_URL);
    const db = kysely(p);
    const seen: number[] = [];
    for await (const row of db.selectNoFrom(sql<number>`generate_series(1, 500)`.as('n')).stream(50)) seen.push(row.n);
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));

    const connection = await new LifeguardDialect({ pool: p }).createDriver().acquireConnection();
    const sizes: number[] = [];
    for await (const chunk of connection.streamQuery(CompiledQuery.raw('SELECT n FROM generate_series(1, 120) AS n'), 50)) sizes.push(chunk.rows.length);
    expect(sizes).toEqual([50, 50, 20]);
    await new LifeguardDialect({ pool: p }).createDriver().releaseConnection(connection);
    expect(p.stats().active).toBe(0);
  });

  it('is lazy: while the reader holds the first chunk, the server has produced only that chunk', async () => {
    const db = kysely(pool(POSTGRES_URL));
    const query = sql<{ v: string }>`(SELECT nextval(${sql.lit(seq)}) AS v FROM generate_series(1, 10000))`;
    let produced = -1;
    let rows = 0;
    for await (const _row of db.selectFrom(query.as('s')).selectAll().stream(25)) {
      rows++;
      if (rows === 1) produced = Number((await admin.query(`SELECT last_value FROM ${seq}`)).rows[0].last_value);
      if (rows === 30) break;
    }
    expect(rows).toBe(30);
    // A buffered read would have run nextval() 10000 times before the first row was seen.
    expect(produced).toBe(25);
  });

  it('an early break closes the cursor: the same connection goes back to the pool and serves the next query', async () => {
    const p = pool(POSTGRES_URL);
    const db = kysely(p);
    const destroyed: unknown[] = [];
    p.on('destroy', (e) => destroyed.push(e));
    let streamPid = 0;
    for await (const row of db.selectFrom(series(100_000).as('s')).selectAll().stream(100)) {
      streamPid = row.pid;
      if (row.n === 150) break;
    }
    expect(p.stats().active).toBe(0);
    expect(await pidOf(db)).toBe(streamPid);
    expect(destroyed).toEqual([]);
    // No portal or half-read answer left behind: an ordinary query answers, and answers itself.
    expect((await sql<{ x: number }>`SELECT 7 AS x`.execute(db)).rows).toEqual([{ x: 7 }]);
  });

  it('an early break inside a transaction leaves the transaction usable, and it commits', async () => {
    const p = pool(POSTGRES_URL);
    const db = kysely(p);
    const table = uniqueName('w14_kstream_t');
    await sql.raw(`CREATE TABLE ${table} (n int)`).execute(db);
    try {
      await db.transaction().execute(async (trx) => {
        for await (const row of trx.selectFrom(series(10_000).as('s')).selectAll().stream(100)) {
          if (row.n === 10) break;
        }
        await sql.raw(`INSERT INTO ${table} VALUES (1)`).execute(trx);
      });
      expect((await sql.raw<{ c: string }>(`SELECT count(*) AS c FROM ${table}`).execute(db)).rows[0].c).toBe('1');
    } finally {
      await sql.raw(`DROP TABLE ${table}`).execute(db);
    }
  });

  it('an error mid-stream reaches the reader, and the connection stays usable', async () => {
    const p = pool(POSTGRES_URL);
    const db = kysely(p);
    const before = await pidOf(db);
    const rows: number[] = [];
    const reading = (async () => {
      for await (const row of db.selectFrom(sql<{ q: number }>`(SELECT 1 / (300 - n) AS q FROM generate_series(1, 500) AS n)`.as('s')).selectAll().stream(50)) rows.push(row.q);
    })();
    await expect(reading).rejects.toThrow(/division by zero/);
    expect(rows.length).toBeGreaterThan(0);
    expect(p.stats().active).toBe(0);
    expect(await pidOf(db)).toBe(before);
  });

  it('a stream is one lifeguard operation in the metrics, however many chunks it reads', async () => {
    const p = pool(POSTGRES_URL);
    const registry = new Registry();
    registerPoolMetrics(p, registry);
    const db = kysely(p);
    const before = await operationCount(registry);
    let n = 0;
    for await (const row of db.selectFrom(series(1000).as('s')).selectAll().stream(100)) n += row.n > 0 ? 1 : 0;
    expect(n).toBe(1000);
    expect((await operationCount(registry)) - before).toBe(1);
  });

  it("is never on a connection pool.query pipelines on: the stream's lease is its own", async () => {
    // A generous budget: on a loaded machine the warm-up's times must still count as short.
    const p = pool(POSTGRES_URL, { max: 2, pipelineDepth: 8, pipelineMaxStatementMs: 1000 });
    const db = kysely(p);
    const pidQuery = 'SELECT pg_backend_pid() AS pid';
    // The pipeline shares only statements it has seen run short.
    for (let i = 0; i < 3; i++) await p.query(pidQuery);
    const iterator = db.selectFrom(series(1000).as('s')).selectAll().stream(10)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const streamPid = (first.value as { pid: number }).pid;
    const pids = await Promise.all(Array.from({ length: 40 }, () => p.query<{ pid: number }>(pidQuery).then((r) => r.rows[0].pid)));
    expect(p.stats().pipeline?.sent ?? 0).toBeGreaterThan(0);
    expect(pids).not.toContain(streamPid);
    let rest = 1;
    while (!(await iterator.next()).done) rest++;
    expect(rest).toBe(1000);
  });

  it('a missing pg-cursor is an error naming the package', () => {
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadPgCursor(missing)).toThrow(PackageMissingError);
    expect(() => loadPgCursor(missing)).toThrow(/"pg-cursor".*npm install pg-cursor/);
  });
});

describeMysql('Kysely .stream() on a lifeguard mysql pool', () => {
  it('streams every row, and an early break destroys the connection (its unread rows would reach the next caller)', async () => {
    const p = pool(MYSQL_URL);
    const db = kysely(p);
    const rows = sql<{ n: number }>`(SELECT seq AS n FROM seq_1_to_2000)`;
    let all = 0;
    for await (const row of db.selectFrom(rows.as('s')).selectAll().stream(100)) all += row.n > 0 ? 1 : 0;
    expect(all).toBe(2000);
    const destroyed: unknown[] = [];
    p.on('destroy', (e) => destroyed.push(e));
    for await (const row of db.selectFrom(rows.as('s')).selectAll().stream(100)) if (Number(row.n) === 5) break;
    expect(destroyed).toHaveLength(1);
    expect((await sql<{ x: number }>`SELECT 7 AS x`.execute(db)).rows).toEqual([{ x: 7 }]);
  });
});

describe('Kysely .stream() on a lifeguard sqlite: pool', () => {
  it("an early break ends better-sqlite3's iterator: the connection is kept and serves the next query", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'w14-kstream-'));
    try {
      const p = pool(`sqlite:${join(dir, 's.db')}`);
      const db = kysely(p);
      await sql`CREATE TABLE t (n INTEGER)`.execute(db);
      await sql`WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500) INSERT INTO t SELECT n FROM c`.execute(db);
      const destroyed: unknown[] = [];
      p.on('destroy', (e) => destroyed.push(e));
      let last = 0;
      for await (const row of db.selectFrom('t').select('n').orderBy('n').stream(50)) {
        last = row.n;
        if (last === 120) break;
      }
      expect(last).toBe(120);
      expect(destroyed).toEqual([]);
      expect(p.stats().active).toBe(0);
      await sql`INSERT INTO t VALUES (501)`.execute(db);
      expect((await sql<{ c: number }>`SELECT count(*) AS c FROM t`.execute(db)).rows[0].c).toBe(501);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Kysely .stream() on a lifeguard libsql pool', () => {
  it('refuses, naming @libsql/client as having no streaming API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'w14-kstream-'));
    try {
      const db = kysely(pool(`file:${join(dir, 's.db')}`));
      const reading = (async () => {
        for await (const row of db.selectNoFrom(sql<number>`1`.as('n')).stream()) void row;
      })();
      await expect(reading).rejects.toThrow(/@libsql\/client has no streaming API/);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
