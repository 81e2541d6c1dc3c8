/**
 * PgPool against pg.Pool's documented behaviour (node-postgres docs, "pg.Pool" and "pg.Client";
 * pg-pool's README): checkout and release, pool.query in all its forms, Submittables, callback
 * timing, counts. pg-pool's own mocha tests are not in its npm package, so this suite is written
 * from the documentation; every place PgPool differs on purpose is in docs/integrations.md.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import { describePostgres } from '../../helpers/databases';
import { backendPid, endPgPools, testPgPool, waitFor } from '../../helpers/pg-pools';

describePostgres('PgPool: checkout, release and pool.query as pg.Pool documents them', () => {
  afterEach(endPgPools);

  it('is a pg.Pool of the pg the application loads', () => {
    const pool = testPgPool();
    expect(pool).toBeInstanceOf(pg.Pool);
    expect(pool.constructor.name).toContain('Pool');
  });

  it('connect() gives a client that runs queries, and release() makes it idle again', async () => {
    const pool = testPgPool();
    expect([pool.totalCount, pool.idleCount]).toEqual([0, 0]);
    const client = await pool.connect();
    const result = await client.query('SELECT $1::text AS name', ['brianc']);
    expect(result.rows).toEqual([{ name: 'brianc' }]);
    expect([pool.totalCount, pool.idleCount]).toEqual([1, 0]);
    client.release();
    expect([pool.totalCount, pool.idleCount]).toEqual([1, 1]);
  });

  it('connect(callback) calls back on a later tick with the client and a done function that releases it', async () => {
    const pool = testPgPool();
    await pool.query('SELECT 1'); // an idle client is there: pg still calls back on process.nextTick
    let returned = false;
    const { client, done } = await new Promise<{ client: pg.PoolClient; done: (release?: unknown) => void }>((resolve, reject) => {
      pool.connect((err, c, d) => {
        if (!returned) reject(new Error('called back synchronously'));
        if (err || !c) reject(err ?? new Error('no client'));
        else resolve({ client: c, done: d });
      });
      returned = true;
    });
    expect((await client.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    done();
    expect(pool.idleCount).toBe(1);
  });

  it.each([
    ['true', true],
    ['an Error', new Error('this client saw something bad')],
    ['a truthy string', 'destroy'],
  ])('release(%s) destroys the client instead of reusing it', async (_label, arg) => {
    const pool = testPgPool();
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    const first = await pool.connect();
    const pid = await backendPid(first);
    first.release(arg as Error);
    await waitFor(() => removed.length === 1);
    expect(removed[0]).toBe(first);
    expect(pool.totalCount).toBe(0);
    const second = await pool.connect();
    expect(await backendPid(second)).not.toBe(pid);
    second.release();
  });

  it.each([['false', false], ['undefined', undefined]])('release(%s) gives the same backend back', async (_label, arg) => {
    const pool = testPgPool({ max: 1 });
    const first = await pool.connect();
    const pid = await backendPid(first);
    first.release(arg);
    const second = await pool.connect();
    expect(await backendPid(second)).toBe(pid);
    second.release();
  });

  it('throws on a second release of the same checkout', async () => {
    const pool = testPgPool();
    const client = await pool.connect();
    client.release();
    expect(() => client.release()).toThrow(/already been released/);
  });

  it('refuses queries on a client after its release instead of running them on a connection someone else may hold', async () => {
    const pool = testPgPool();
    const client = await pool.connect();
    client.release();
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });
  });

  it('pool.query takes text, text and values, a config object, and a callback', async () => {
    const pool = testPgPool();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect((await pool.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
    expect((await pool.query({ text: 'SELECT $1::int AS n', values: [8] })).rows).toEqual([{ n: 8 }]);
    const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) =>
      pool.query('SELECT $1::int AS n', [9], (err, res) => (err ? reject(err) : resolve(res))),
    );
    expect(viaCallback.rows).toEqual([{ n: 9 }]);
    const noValues = await new Promise<pg.QueryResult>((resolve, reject) => pool.query('SELECT 10 AS n', (err, res) => (err ? reject(err) : resolve(res))));
    expect(noValues.rows).toEqual([{ n: 10 }]);
  });

  it("returns pg's own result: rowMode 'array' keeps same-named columns, fields carry type OIDs, command the tag", async () => {
    const pool = testPgPool();
    const result = await pool.query({ text: 'SELECT 1::int4 AS id, 2::int4 AS id, $1::text AS t', values: ['x'], rowMode: 'array' });
    expect(result.rows).toEqual([[1, 2, 'x']]);
    expect(result.fields.map((f) => [f.name, f.dataTypeID])).toEqual([['id', 23], ['id', 23], ['t', 25]]);
    expect(result.command).toBe('SELECT');
    expect(result.rowCount).toBe(1);
  });

  it('honours per-query types and named (prepared) statements', async () => {
    const pool = testPgPool({ max: 1 });
    const types = { getTypeParser: () => (value: string) => `parsed:${value}` };
    expect((await pool.query({ text: 'SELECT 5::int4 AS n', types })).rows).toEqual([{ n: 'parsed:5' }]);
    const named = { name: 'lifeguard_pg_named', text: 'SELECT $1::int + 1 AS n' };
    expect((await pool.query({ ...named, values: [1] })).rows).toEqual([{ n: 2 }]);
    expect((await pool.query({ ...named, values: [2] })).rows).toEqual([{ n: 3 }]);
    const prepared = await pool.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'lifeguard_pg_named'");
    expect(prepared.rows).toEqual([{ n: 1 }]);
  });

  it('pool.query(function) calls that function back with an error, on a later tick', async () => {
    const pool = testPgPool();
    let returned = false;
    const err = await new Promise<Error>((resolve) => {
      (pool.query as unknown as (cb: (e: Error) => void) => void)((e) => resolve(returned ? e : new Error('synchronous')));
      returned = true;
    });
    expect(err.message).toMatch(/not supported/);
  });

  it('never calls back synchronously, on success or on error', async () => {
    const pool = testPgPool();
    await pool.query('SELECT 1');
    const order: string[] = [];
    const calls = [
      new Promise<void>((resolve) => pool.query('SELECT 1', () => resolve(void order.push('query')))),
      new Promise<void>((resolve) => pool.query('SELEKT nonsense', () => resolve(void order.push('query error')))),
      new Promise<void>((resolve) =>
        pool.connect((_err, _client, done) => {
          order.push('connect');
          done();
          resolve();
        }),
      ),
    ];
    order.push('returned');
    await Promise.all(calls);
    expect(order[0]).toBe('returned');
    await new Promise<void>((resolve) => pool.end(() => resolve()));
    const afterEnd: string[] = [];
    const refused = new Promise<void>((resolve) => pool.connect((err) => resolve(void afterEnd.push(err ? 'refused' : 'lent'))));
    afterEnd.push('returned');
    await refused;
    expect(afterEnd).toEqual(['returned', 'refused']);
  });

  it('pool.query(new Cursor(...)) returns the cursor and holds its client until the cursor is closed', async () => {
    const pool = testPgPool({ max: 1 });
    const cursor = new Cursor('SELECT generate_series(1, 5) AS n');
    expect(pool.query(cursor)).toBe(cursor);
    const rows = await new Promise<unknown[]>((resolve, reject) => cursor.read(3, (err, r) => (err ? reject(err) : resolve(r))));
    expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(pool.idleCount).toBe(0);
    await new Promise<void>((resolve, reject) => cursor.close((err) => (err ? reject(err) : resolve())));
    await waitFor(() => pool.idleCount === 1);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('pool.query(new QueryStream(...)) streams every row and gives the client back at the end', async () => {
    const pool = testPgPool({ max: 1 });
    const stream = pool.query(new QueryStream('SELECT generate_series(1, 1000) AS n', [], { batchSize: 100 }));
    let count = 0;
    for await (const row of stream) count += (row as { n: number }).n > 0 ? 1 : 0;
    expect(count).toBe(1000);
    await waitFor(() => pool.idleCount === 1);
  });

  it('runs a cursor on a checked-out client, as pg-cursor documents', async () => {
    const pool = testPgPool({ max: 1 });
    const client = await pool.connect();
    const cursor = client.query(new Cursor('SELECT generate_series(1, 3) AS n'));
    const rows = await new Promise<unknown[]>((resolve, reject) => cursor.read(10, (err, r) => (err ? reject(err) : resolve(r))));
    expect(rows).toHaveLength(3);
    await new Promise<void>((resolve) => cursor.close(() => resolve()));
    expect((await client.query('SELECT 4 AS n')).rows).toEqual([{ n: 4 }]);
    client.release();
  });

  it('counts waiting callers in waitingCount', async () => {
    const pool = testPgPool({ max: 1 });
    const held = await pool.connect();
    const waiting = pool.connect();
    await waitFor(() => pool.waitingCount === 1);
    held.release();
    (await waiting).release();
    expect(pool.waitingCount).toBe(0);
  });

  it('connectionTimeoutMillis: an exhausted pool gives the waiting caller an error that says "timeout"', async () => {
    const pool = testPgPool({ max: 1, connectionTimeoutMillis: 300 });
    const held = await pool.connect();
    await expect(pool.connect()).rejects.toThrow(/timeout/);
    await expect(pool.query('SELECT 1')).rejects.toThrow(/timeout/);
    held.release();
  });

  describe('connectionTimeoutMillis against a server that accepts and never answers', () => {
    let silent: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as AddressInfo).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('rejects connect() with an error that says "timeout"', async () => {
      const pool = testPgPool({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectionTimeoutMillis: 400 });
      const started = Date.now();
      await expect(pool.connect()).rejects.toThrow(/timeout/);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});
