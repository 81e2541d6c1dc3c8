/**
 * pool.query pipelined on the local PostgreSQL (pg's pipeline mode): several statements in flight
 * on one connection, and everything a reviewer would try to make it lose or mix up — failures,
 * timeouts, a killed backend, a silent network, leases, counts, leaks and close().
 *
 * A statement text is pipelined only once the pool has seen it run short (statement-times.ts), so
 * each test first runs its texts once ("warm"), then fires the statements together.
 */
import { Client } from 'pg';
import { ConnectionLostError, PoolClosedError, QueryTimeoutError, type Pool } from '../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { PostgresBackendKiller } from './harness/backend-killer';
import { closeFaultPools, faultPool, sleep, waitFor } from './harness/fault-pools';
import { TcpProxy } from './harness/tcp-proxy';

const PID = 'SELECT pg_backend_pid() AS pid, $1::int AS n';
const SLEEP_THEN = 'SELECT pg_sleep($1::float8) AS slept, pg_backend_pid() AS pid';

describePostgres('pool.query pipelined on PostgreSQL', () => {
  const table = uniqueName('lg_pipe');
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  });
  beforeEach(async () => {
    await admin.query(`TRUNCATE ${table}`);
  });
  afterEach(closeFaultPools);
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  const pipelinePool = (options: Parameters<typeof faultPool>[1] = {}) => faultPool(POSTGRES_URL, { max: 4, pipelineDepth: 16, pipelineMaxStatementMs: 100, ...options });
  // Twice: the first run on a fresh connection waits behind the pool's one-time server check.
  const warm = async (pool: Pool, ...statements: Array<[string, unknown[] | ((round: number) => unknown[])]>) => {
    for (let round = 0; round < 2; round++) for (const [sql, params] of statements) await pool.query(sql, typeof params === 'function' ? params(round) : params);
  };
  const sessions = async (pool: Pool) =>
    (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [pool.name])).rows[0].n;

  it('sends several statements on one connection at once, each caller getting its own answer', async () => {
    const pool = pipelinePool();
    await warm(pool, [PID, [0]]);
    const sentBefore = pool.stats().pipeline?.sent ?? 0;
    const running = Array.from({ length: 12 }, (_, n) => pool.query<{ pid: number; n: number }>(PID, [n]));
    const during = pool.stats();
    const results = await Promise.all(running);
    expect(results.map((r) => r.rows[0].n)).toEqual(Array.from({ length: 12 }, (_, n) => n));
    // Twelve statements, one backend: they were in flight together on one connection.
    expect(new Set(results.map((r) => r.rows[0].pid)).size).toBe(1);
    expect(during.pipeline).toMatchObject({ connections: 1, statements: 12, waiting: 0 });
    expect(during.active).toBe(1);
    expect((pool.stats().pipeline?.sent ?? 0) - sentBefore).toBe(12);
    // Answered, it stays shared until this turn of the event loop ends (a caller's next statement
    // would take it from there), then goes back to the pool.
    expect(pool.stats()).toMatchObject({ active: 1, pipeline: { connections: 1, statements: 0 } });
    await new Promise(setImmediate);
    expect(pool.stats()).toMatchObject({ active: 0, idle: 1, pipeline: { connections: 0, statements: 0 } });
  });

  it('keeps one caller in a loop on the same shared connection, and gives it back when the caller stops or a lease needs it', async () => {
    const pool = pipelinePool({ max: 1 });
    await warm(pool, [PID, [0]]);
    const pids = new Set<number>();
    let sharedOnce = 0;
    let loans = 0;
    await new Promise(setImmediate);
    pool.on('acquire', () => loans++);
    for (let n = 0; n < 20; n++) {
      pids.add((await pool.query<{ pid: number; n: number }>(PID, [n])).rows[0].pid);
      // Between the answer and the next statement (same turn): still shared, so the next one needs no acquire.
      if (pool.stats().pipeline?.connections === 1) sharedOnce++;
    }
    expect(pids.size).toBe(1);
    expect(sharedOnce).toBe(20);
    // One loan for the whole loop (before: one per statement).
    expect(loans).toBe(1);
    // A lease asked for in the same turn waits only until the turn ends, then gets the connection out of pipeline mode.
    await pool.query(PID, [0]);
    const lease = await pool.acquire();
    try {
      expect((lease.raw as { pipeline?: boolean }).pipeline).toBe(false);
      expect(pool.stats().pipeline?.connections).toBe(0);
    } finally {
      lease.release();
    }
  });

  it('keeps one statement’s failure its own: syntax, constraint and statement_timeout in the middle of a pipeline', async () => {
    const pool = pipelinePool({ statementTimeoutMs: 300 });
    await admin.query(`INSERT INTO ${table} VALUES (1)`);
    const insert = `INSERT INTO ${table} (id) VALUES ($1)`;
    const divide = 'SELECT 10 / $1::int AS q, pg_backend_pid() AS pid';
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0]], [insert, (round) => [1000 + round]], [divide, [1]]);
    const outcomes = await Promise.allSettled([
      pool.query(SLEEP_THEN, [0.6]), // cancelled by the server's statement_timeout
      pool.query(PID, [1]),
      pool.query(divide, [0]), // division by zero
      pool.query(PID, [2]),
      pool.query(insert, [1]), // unique violation
      pool.query(PID, [3]),
      pool.query(insert, [3]),
    ]);
    const codeOf = (o: PromiseSettledResult<unknown>) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'ok');
    expect(outcomes.map(codeOf)).toEqual(['57014', 'ok', '22012', 'ok', '23505', 'ok', 'ok']);
    const pids = outcomes.flatMap((o) => (o.status === 'fulfilled' && 'rows' in (o.value as object) ? [(o.value as { rows: Array<{ pid?: number }> }).rows[0]?.pid] : [])).filter((p) => p !== undefined);
    expect(new Set(pids).size).toBe(1);
    expect((await admin.query(`SELECT id FROM ${table} WHERE id < 1000 ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 3 }]);
    // The connection survived all three errors.
    expect(pool.stats().counters.destroyed.broken).toBe(0);
  });

  it('runs a statement with its own timeoutMs alone: its timeout fails nobody else', async () => {
    const pool = pipelinePool();
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0]]);
    const others = Array.from({ length: 20 }, (_, n) => pool.query<{ n: number }>(PID, [n]));
    const timedOut = pool.query(SLEEP_THEN, [2], { timeoutMs: 200 }).catch((e: unknown) => e);
    const more = Array.from({ length: 20 }, (_, n) => sleep(50 + n * 10).then(() => pool.query<{ n: number }>(PID, [n])));
    expect(await timedOut).toBeInstanceOf(QueryTimeoutError);
    expect((await Promise.all([...others, ...more])).map((r) => r.rows[0].n)).toEqual([...Array(20).keys(), ...Array(20).keys()]);
  });

  it('fails every statement on a connection it had to destroy with ConnectionLostError, and recovers', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(POSTGRES_URL).port || 5432));
    try {
      const pool = faultPool(proxy.urlFor(POSTGRES_URL), { max: 2, pipelineDepth: 16, pipelineMaxStatementMs: 100, statementTimeoutMs: 200 });
      await warm(pool, [PID, [0]]);
      proxy.blackhole('both');
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => pool.query(PID, [n])));
      for (const o of outcomes) {
        expect(o.status).toBe('rejected');
        const err = (o as PromiseRejectedResult).reason as ConnectionLostError;
        expect(err).toBeInstanceOf(ConnectionLostError);
        expect(err.statementRan).toBe('unknown');
        expect(err.message).toMatch(/no statement on it was answered within 400 ms/);
      }
      await proxy.resume();
      await expect(pool.query(PID, [7])).resolves.toMatchObject({ rows: [{ n: 7 }] });
    } finally {
      await closeFaultPools();
      await proxy.close();
    }
  });

  it('on a killed backend: fails the statement it ran, re-sends the reads behind it, never a write, and recovers at once', async () => {
    const pool = pipelinePool({ max: 2 });
    const insert = `INSERT INTO ${table} (id) VALUES ($1)`;
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0]], [insert, (round) => [1000 + round]]);
    const killer = await PostgresBackendKiller.connect(POSTGRES_URL, pool.name);
    try {
      const head = pool.query(SLEEP_THEN, [5]).catch((e: unknown) => e);
      const reads = Array.from({ length: 5 }, (_, n) => pool.query<{ n: number }>(PID, [n]));
      const write = pool.query(insert, [11]).catch((e: unknown) => e);
      await waitFor(async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'`, [pool.name])).rowCount === 1, 5000);
      expect(await killer.killAll()).toBeGreaterThanOrEqual(1);
      const headError = (await head) as ConnectionLostError;
      expect(headError).toBeInstanceOf(ConnectionLostError);
      expect(headError.statementRan).toBe('unknown');
      expect((await Promise.all(reads)).map((r) => r.rows[0].n)).toEqual([0, 1, 2, 3, 4]);
      const writeError = (await write) as ConnectionLostError;
      expect(writeError).toBeInstanceOf(ConnectionLostError);
      expect(writeError.statementRan).toBe('no');
      expect((await admin.query(`SELECT id FROM ${table} WHERE id = 11`)).rowCount).toBe(0);
      await expect(pool.query(PID, [9])).resolves.toMatchObject({ rows: [{ n: 9 }] });
    } finally {
      await killer.close();
    }
  });

  it('puts nothing behind a statement known to be long: it runs alone while short ones pipeline elsewhere', async () => {
    const pool = pipelinePool();
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0.3]]);
    const finished: string[] = [];
    const slow = pool.query<{ pid: number }>(SLEEP_THEN, [0.3]).then((r) => {
      finished.push('slow');
      return r;
    });
    const quick = Array.from({ length: 30 }, (_, n) =>
      pool.query<{ pid: number }>(PID, [n]).then((r) => {
        finished.push('quick');
        return r;
      }),
    );
    const [slowResult, quickResults] = await Promise.all([slow, Promise.all(quick)]);
    expect(finished[finished.length - 1]).toBe('slow');
    expect(quickResults.map((r) => r.rows[0].pid)).not.toContain(slowResult.rows[0].pid);
  });

  it('lends leases out of pipeline mode and never starves them; BEGIN through pool.query runs alone', async () => {
    const pool = pipelinePool({ max: 2 });
    await warm(pool, [PID, [0]], ['SELECT txid_current_if_assigned() AS txid', []]);
    let stop = false;
    const seenTxids: unknown[] = [];
    const load = Array.from({ length: 40 }, async () => {
      while (!stop) seenTxids.push((await pool.query<{ txid: unknown }>('SELECT txid_current_if_assigned() AS txid')).rows[0].txid);
    });
    await sleep(50);
    const rowsOnLease = await pool.withConnection(async (lease) => {
      const raw = lease.raw as Client & { pipeline: boolean };
      expect(raw.pipeline).toBe(false);
      // A row limit keeps a portal open: pg refuses it in pipeline mode, a lease runs it.
      return (await raw.query({ text: 'SELECT generate_series(1, 3) AS g', rows: 2 } as never)) as unknown as { rows: unknown[] };
    });
    expect(rowsOnLease.rows).toHaveLength(3);
    await pool.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} (id) VALUES (100)`);
    });
    await pool.query('BEGIN');
    stop = true;
    await Promise.all(load);
    // No pipelined statement ever ran inside somebody's transaction.
    expect(seenTxids.length).toBeGreaterThan(40);
    expect(seenTxids.every((t) => t === null)).toBe(true);
  });

  it('sees each pipelined statement in slowQuery and leak detection, not the shared loan', async () => {
    const pool = pipelinePool({ slowQueryMs: 150, leakDetectionMs: 150, evictionIntervalMs: 20 });
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0]]);
    const slow: string[] = [];
    const leaks: Array<string | undefined> = [];
    pool.on('slowQuery', (e) => slow.push(e.sql));
    pool.on('leak', (e) => leaks.push(e.stack));
    let stop = false;
    // Four overlapping streams keep one connection shared for most of a second: as a loan it is
    // "held" far past leakDetectionMs, yet no caller holds anything.
    const streams = Array.from({ length: 4 }, async () => {
      while (!stop) await pool.query(PID, [1]);
    });
    await sleep(30);
    await pool.query(SLEEP_THEN, [0.4]);
    await sleep(500);
    stop = true;
    await Promise.all(streams);
    expect(slow).toContain(SLEEP_THEN);
    expect(leaks.length).toBeGreaterThanOrEqual(1);
    for (const stack of leaks) expect(stack).toMatch(/queried here/);
  });

  it('close() lets pipelined statements finish, refuses new ones and leaves no session behind', async () => {
    const pool = pipelinePool();
    await warm(pool, [PID, [0]], [SLEEP_THEN, [0]]);
    const running = Array.from({ length: 20 }, (_, n) => pool.query<{ n: number }>(n === 0 ? SLEEP_THEN : PID, n === 0 ? [0.2] : [n]));
    const closed = pool.close({ timeoutMs: 5000 });
    await expect(pool.query(PID, [1])).rejects.toBeInstanceOf(PoolClosedError);
    const results = await Promise.all(running);
    expect(results.slice(1).map((r) => r.rows[0].n)).toEqual(Array.from({ length: 19 }, (_, n) => n + 1));
    await closed;
    expect(await sessions(pool)).toBe(0);
  });

  it('pipelineDepth 0 turns it off: one statement per connection, as before', async () => {
    const pool = pipelinePool({ pipelineDepth: 0, max: 4 });
    await warm(pool, [SLEEP_THEN, [0]]);
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.query<{ pid: number }>(SLEEP_THEN, [0.05])));
    expect(new Set(results.map((r) => r.rows[0].pid)).size).toBeGreaterThan(1);
    expect(pool.stats().pipeline).toBeUndefined();
  });
});
