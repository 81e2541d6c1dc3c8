/**
 * node-postgres's own pg-pool tests, ported to PgPool on the real PostgreSQL (part 1: the pool
 * itself). Source: brianc/node-postgres, packages/pg-pool/test/<file> as named in each describe.
 * Test names are pg's; where PgPool differs from pg.Pool by design (docs/integrations.md, "Where
 * PgPool differs"), the name says "PgPool:" and the test holds PgPool to its documented behaviour.
 * pg's tests reach into pg.Client internals (client.connection, _ending, _clients); here the same
 * situation is made from outside: pg_terminate_backend of the pid the client reported, client.end().
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { ConfigError } from '../../../src';
import { PgPool, type PgPoolOptions } from '../../../src/integrations/pg';
import { silentLogger } from '../../../src/shared/logger';
import { describePostgres, POSTGRES_URL, uniqueName } from '../../helpers/databases';
import { endPgPools, terminateBackend, testPgPool, waitFor } from '../../helpers/pg-pools';
import { pidOf, plannedClient, wait } from './pg-pool-suite-helpers';

const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describePostgres('pg-pool test suite, ported (part 1: the pool)', () => {
  afterEach(endPgPools);

  describe('pool (index.js)', () => {
    describe('with callbacks', () => {
      it('works totally unconfigured (PgPool: with the suite connection string; the environment applies as for createPool)', (done) => {
        const pool = testPgPool();
        pool.connect((err, client, release) => {
          if (err) return done(err);
          client!.query('SELECT NOW()', (err2: Error | undefined, res: pg.QueryResult) => {
            release();
            if (err2) return done(err2);
            expect(res.rows).toHaveLength(1);
            pool.end(done);
          });
        });
      });

      it('passes props to clients (PgPool: to the pg.Client each connection is opened with)', async () => {
        const configs: pg.ClientConfig[] = [];
        const pool = testPgPool({ binary: true, ssl: false, Client: plannedClient(() => undefined, configs) } as PgPoolOptions);
        const client = await pool.connect();
        client.release();
        expect(configs).toHaveLength(1);
        expect((configs[0] as { binary?: boolean }).binary).toBe(true);
        // binary: true is pg's binary result format: an int8 comes back as pg's binary parser gives it.
        expect((await pool.query('SELECT 1::int4 AS one')).rows).toEqual([{ one: 1 }]);
      });

      it('can run a query with a callback without parameters', (done) => {
        const pool = testPgPool();
        pool.query('SELECT 1 as num', (err, res) => {
          expect(res.rows[0]).toEqual({ num: 1 });
          pool.end(() => done(err));
        });
      });

      it('can run a query with a callback', (done) => {
        const pool = testPgPool();
        pool.query('SELECT $1::text as name', ['brianc'], (err, res) => {
          expect(res.rows[0]).toEqual({ name: 'brianc' });
          pool.end(() => done(err));
        });
      });

      it('passes connection errors to callback (PgPool: after retrying until connectionTimeoutMillis, as a timeout error with the failure as cause; the attempt underway then ends)', (done) => {
        const pool = testPgPool({ connectionString: 'postgres://postgres@127.0.0.1:53922/test', connectionTimeoutMillis: 300 });
        pool.query('SELECT $1::text as name', ['brianc'], (err, res) => {
          expect(res).toBeUndefined();
          expect(err).toBeInstanceOf(Error);
          expect(err.message).toMatch(/timeout/);
          expect((err as Error & { cause?: Error }).cause?.message).toMatch(/ECONNREFUSED/);
          // a connection error should not polute the pool with a dead client (PgPool: the attempt
          // still underway when the caller gave up ends, and nothing is left)
          waitFor(() => pool.totalCount === 0).then(
            () => pool.end((endErr?: Error) => done(endErr)),
            (waitErr: Error) => done(waitErr),
          );
        });
      });

      it('does not pass client to error callback', (done) => {
        const pool = testPgPool({ connectionString: 'postgres://postgres@127.0.0.1:58242/test', connectionTimeoutMillis: 300 });
        pool.connect((err, client, release) => {
          expect(err).toBeInstanceOf(Error);
          expect(client).toBeUndefined();
          expect(typeof release).toBe('function');
          pool.end(done);
        });
      });

      it('removes client if it errors in background (PgPool: the error comes from the connection, here its backend terminated)', async () => {
        const pool = testPgPool();
        const client = await pool.connect();
        const pid = pidOf(client);
        client.release();
        (client as unknown as { testString: string }).testString = 'foo';
        const poolError = new Promise<[Error, unknown]>((resolve) => pool.once('error', (err, errClient) => resolve([err, errClient])));
        await terminateBackend(pid);
        const [err, errClient] = await poolError;
        expect(err.message).toMatch(/terminat/);
        expect(errClient).toBe(client);
        expect((errClient as { testString?: string }).testString).toBe('foo');
        await waitFor(() => pool.totalCount === 0);
        await pool.end();
      });

      it('should not change given options', (done) => {
        const options: PgPoolOptions = { max: 10, connectionString: POSTGRES_URL, env: {}, name: uniqueName('lg_pg'), logger: silentLogger };
        const copy = { ...options };
        const pool = new PgPool(options);
        pool.connect((err, _client, release) => {
          release();
          if (err) return done(err);
          expect(options).toEqual(copy);
          pool.end(done);
        });
      });

      it('does not create promises when connecting', (done) => {
        const pool = testPgPool();
        const returnValue = pool.connect((err, _client, release) => {
          release();
          if (err) return done(err);
          pool.end(done);
        });
        expect(returnValue).toBeUndefined();
      });

      it('does not create promises when querying', (done) => {
        const pool = testPgPool();
        const returnValue = pool.query('SELECT 1 as num', (err) => {
          pool.end(() => done(err));
        });
        expect(returnValue).toBeUndefined();
      });

      it('does not create promises when ending', (done) => {
        const pool = testPgPool();
        const returnValue = pool.end(done);
        expect(returnValue).toBeUndefined();
      });

      it('never calls callback syncronously', (done) => {
        const pool = testPgPool();
        pool.connect((err, client) => {
          if (err) throw err;
          client!.release();
          setImmediate(() => {
            let called = false;
            pool.connect((err2, client2) => {
              if (err2) throw err2;
              called = true;
              client2!.release();
              setImmediate(() => pool.end(done));
            });
            expect(called).toBe(false);
          });
        });
      });
    });

    describe('with promises', () => {
      it('connects, queries, and disconnects', async () => {
        const pool = testPgPool();
        const client = await pool.connect();
        const res = await client.query('select $1::text as name', ['hi']);
        expect(res.rows).toEqual([{ name: 'hi' }]);
        client.release();
        await pool.end();
      });

      it('executes a query directly', async () => {
        const pool = testPgPool();
        const res = await pool.query('SELECT $1::text as name', ['hi']);
        expect(res.rows).toHaveLength(1);
        expect(res.rows[0].name).toBe('hi');
        await pool.end();
      });

      it('properly pools clients', async () => {
        const pool = testPgPool({ poolSize: 9, max: undefined } as PgPoolOptions);
        const res = await Promise.all(
          times(30, async () => {
            const client = await pool.connect();
            const result = await client.query('select $1::text as name', ['hi']);
            client.release();
            return result;
          }),
        );
        expect(res).toHaveLength(30);
        expect(pool.totalCount).toBe(9);
        await pool.end();
      });

      it('supports just running queries', async () => {
        const pool = testPgPool({ poolSize: 9, max: undefined } as PgPoolOptions);
        const query = { text: 'select $1::text as name', values: ['hi'] };
        const queries = await Promise.all(times(30, () => pool.query(query)));
        expect(queries).toHaveLength(30);
        await pool.end();
      });

      it('enables pipelining on clients when configured (PgPool: refuses pg pipeline mode with a ConfigError naming the option)', () => {
        // A PgPool lends each client to one holder at a time and runs cursors on it; lifeguard
        // pipelines pool.query itself (pipelineDepth). Both of pg's spellings are refused by name.
        expect(() => testPgPool({ pipeline: true } as PgPoolOptions)).toThrow(ConfigError);
        expect(() => testPgPool({ pipeline: true } as PgPoolOptions)).toThrow(/pipeline/);
        expect(() => testPgPool({ pipelining: true } as PgPoolOptions)).toThrow(/pipelining/);
      });

      it('does not enable pipelining by default (PgPool: a client sends one query at a time, in order)', async () => {
        const pool = testPgPool({ max: 1 });
        const client = await pool.connect();
        const order: number[] = [];
        for (const n of [1, 2, 3]) order.push((await client.query('SELECT $1::int AS num', [n])).rows[0].num);
        expect(order).toEqual([1, 2, 3]);
        client.release();
        await pool.end();
      });

      it('recovers from query errors (PgPool: an SQL error keeps the connection; pg.Pool destroys it)', async () => {
        const pool = testPgPool();
        const errors: unknown[] = [];
        await Promise.all(times(30, () => pool.query('SELECT asldkfjasldkf').catch((e: unknown) => errors.push(e))));
        expect(errors).toHaveLength(30);
        expect(pool.totalCount).toBeGreaterThan(0);
        // Every client comes back idle (one still being opened when the last error came back, too).
        await waitFor(() => pool.idleCount === pool.totalCount);
        expect(destroyedCount(pool)).toBe(0);
        const res = await pool.query('SELECT $1::text as name', ['hi']);
        expect(res.rows).toEqual([{ name: 'hi' }]);
        await pool.end();
      });
    });
  });

  describe('Connection strings (connection-strings.js)', () => {
    it('pool delegates connectionString property to client (PgPool: parsed by lifeguard, the client gets its parts)', async () => {
      const configs: pg.ClientConfig[] = [];
      const pool = testPgPool({
        connectionString: 'postgres://foo:bar@127.0.0.1:1234/xur',
        ssl: false,
        connectionTimeoutMillis: 300,
        Client: plannedClient(() => ({ fail: new Error('testing'), afterMs: 0 }), configs),
      });
      await expect(pool.connect()).rejects.toThrow(/testing/);
      expect(configs.length).toBeGreaterThan(0);
      const [config] = configs;
      const target = config.connectionString ? new URL(config.connectionString) : undefined;
      expect(target ? [target.username, target.hostname, target.port, target.pathname] : [config.user, config.host, String(config.port), `/${config.database}`]).toEqual(['foo', '127.0.0.1', '1234', '/xur']);
    });
  });

  describe('logging (logging.js)', () => {
    it('logs to supplied log function if given', async () => {
      const messages: string[] = [];
      const pool = testPgPool({ log: (msg: string) => messages.push(msg) });
      await pool.query('SELECT NOW()');
      expect(messages.length).toBeGreaterThan(0);
      expect(messages).toContain('new client connected');
      await pool.end();
    });
  });

  describe('Bring your own promise (bring-your-own-promise.js)', () => {
    it('uses supplied promise for operations (PgPool: refuses Promise with a ConfigError; its promises are native)', async () => {
      expect(() => testPgPool({ Promise: class extends Promise<unknown> {} } as unknown as PgPoolOptions)).toThrow(/Promise/);
      const pool = testPgPool();
      const client = await pool.connect();
      expect(pool.connect().then((c) => c.release())).toBeInstanceOf(Promise);
      client.release();
      expect(pool.query('SELECT NOW()')).toBeInstanceOf(Promise);
      expect(pool.end()).toBeInstanceOf(Promise);
    });

    it('uses promises in errors', async () => {
      const pool = testPgPool({ connectionString: 'postgres://postgres@127.0.0.1:48484/test', connectionTimeoutMillis: 200 });
      const checkType = (p: Promise<unknown>) => {
        expect(p).toBeInstanceOf(Promise);
        return p.catch(() => undefined);
      };
      await checkType(pool.connect());
      await checkType(pool.end());
      await checkType(pool.connect());
      await checkType((pool.query as unknown as () => Promise<unknown>)());
      await checkType(pool.end());
    });
  });

  describe('submittle (submittable.ts)', () => {
    it('is returned from the query method', (done) => {
      const pool = testPgPool();
      const cursor = pool.query(new Cursor('SELECT * from generate_series(0, 1000)'));
      cursor.read(10, (err, rows) => {
        // pg's test asserts undefined; pg-cursor 2.x calls back with null (pg.Pool or PgPool alike).
        expect(err).toBeNull();
        expect(rows).toBeInstanceOf(Array);
        cursor.close(() => done());
      });
    });
  });

  describe('pool size of 1 (sizing.js)', () => {
    it('can create a single client and use it once', async () => {
      const pool = testPgPool({ max: 1 });
      expect(pool.waitingCount).toBe(0);
      const client = await pool.connect();
      const res = await client.query('SELECT $1::text as name', ['hi']);
      expect(res.rows[0].name).toBe('hi');
      client.release();
      await pool.end();
    });

    it('can create a single client and use it multiple times', async () => {
      const pool = testPgPool({ max: 1 });
      expect(pool.waitingCount).toBe(0);
      const client = await pool.connect();
      const waiting = pool.connect();
      await waitFor(() => pool.waitingCount === 1);
      client.release();
      const client2 = await waiting;
      expect(client).toBe(client2);
      client2.release();
      await pool.end();
    });

    it('can only send 1 query at a time', async () => {
      const pool = testPgPool({ max: 1 });
      // A marker of this run's own in the text: other suites share the server.
      const queryText = `SELECT COUNT(*) as counts FROM pg_stat_activity WHERE query = $1 /* ${uniqueName('lg_pg_one')} */`;
      const results = await Promise.all(times(20, () => pool.query(queryText, [queryText])));
      expect(results.map((res) => parseInt(res.rows[0].counts, 10))).toEqual(times(20, () => 1));
      await pool.end();
    });

    it('does not remove clients when at or below min', async () => {
      const pool = testPgPool({ max: 1, min: 1, idleTimeoutMillis: 10 });
      const client = await pool.connect();
      client.release();
      await wait(200);
      expect(pool.idleCount).toBe(1);
      await pool.end();
    });

    it('does remove clients when at or below min if maxUses is reached (PgPool: and opens a new one, min being kept)', async () => {
      const pool = testPgPool({ max: 1, min: 1, idleTimeoutMillis: 10, maxUses: 1 });
      const opened = openedBackends(pool);
      const client = await pool.connect();
      client.release();
      await waitFor(() => opened.length === 2 && pool.idleCount === 1 && pool.totalCount === 1);
      expect(opened[1]).not.toBe(opened[0]);
      await pool.end();
    });

    it('does remove clients when at or below min if maxLifetimeSeconds is reached (PgPool: and opens a new one, min being kept)', async () => {
      const pool = testPgPool({ max: 1, min: 1, idleTimeoutMillis: 10, maxLifetimeSeconds: 1 });
      const opened = openedBackends(pool);
      const client = await pool.connect();
      client.release();
      await waitFor(() => opened.length === 2 && pool.idleCount === 1 && pool.totalCount === 1);
      expect(opened[1]).not.toBe(opened[0]);
      await pool.end();
    });
  });

  describe('pool size of 2 (sizing.js)', () => {
    it('does not remove clients when at or below min', async () => {
      const pool = testPgPool({ max: 2, min: 2, idleTimeoutMillis: 10 });
      const client = await pool.connect();
      const client2 = await pool.connect();
      client.release();
      await wait(100);
      client2.release();
      await wait(100);
      expect(pool.idleCount).toBe(2);
      await pool.end();
    });

    it('does remove clients when above min (PgPool: at the next housekeeping tick)', async () => {
      const pool = testPgPool({ max: 2, min: 1, idleTimeoutMillis: 10 });
      const client = await pool.connect();
      const client2 = await pool.connect();
      client.release();
      await wait(20);
      client2.release();
      await waitFor(() => pool.idleCount === 1);
      await wait(200);
      expect(pool.idleCount).toBe(1);
      await pool.end();
    });
  });

  describe('pool min size (sizing.js)', () => {
    it('does not drop below min when clients released at same time', async () => {
      const pool = testPgPool({ max: 2, min: 1, idleTimeoutMillis: 10 });
      const client = await pool.connect();
      const client2 = await pool.connect();
      client.release();
      client2.release();
      await waitFor(() => pool.totalCount === 1);
      await wait(200);
      expect(pool.idleCount).toBe(1);
      await pool.end();
    });
  });

  describe('min connections maintenance (min-connections.js, with real clients for its MockClient)', () => {
    it('creates replacement connections when clients are retired due to maxUses', async () => {
      const pool = testPgPool({ min: 2, max: 5, maxUses: 2 });
      for (let round = 0; round < 2; round++) {
        const c1 = await pool.connect();
        const c2 = await pool.connect();
        c1.release();
        c2.release();
      }
      await waitFor(() => pool.totalCount === 2 && pool.idleCount === 2 && destroyedCount(pool) >= 2);
      await pool.end();
    });

    it('does not exceed min when multiple retirements happen simultaneously', async () => {
      const pool = testPgPool({ min: 2, max: 10, maxUses: 2 });
      for (let round = 0; round < 2; round++) {
        const clients = await Promise.all(times(5, () => pool.connect()));
        for (const c of clients) c.release();
      }
      await waitFor(() => destroyedCount(pool) >= 5);
      await waitFor(() => pool.totalCount === 2);
      await wait(200);
      expect(pool.totalCount).toBe(2);
      await pool.end();
    });

    it('creates a replacement when an idle client emits an error (PgPool: its backend terminated)', async () => {
      const pool = testPgPool({ min: 2, max: 5 });
      const c1 = await pool.connect();
      const c2 = await pool.connect();
      const pid = pidOf(c1);
      c1.release();
      c2.release();
      pool.on('error', () => undefined);
      await terminateBackend(pid);
      await waitFor(() => destroyedCount(pool) === 1 && pool.totalCount === 2);
      await pool.end();
    });

    it('serves a queued connect after the only idle client errors (PgPool: its backend terminated)', async () => {
      const pool = testPgPool({ max: 1 });
      const c1 = await pool.connect();
      const pid = pidOf(c1);
      c1.release();
      pool.on('error', () => undefined);
      const terminated = terminateBackend(pid);
      const c2 = await pool.connect();
      await terminated;
      // Lent before or after the kill was noticed: either way the next query runs on a live backend.
      const res = await c2.query('SELECT pg_backend_pid() AS pid').catch(async () => {
        c2.release();
        const c3 = await pool.connect();
        const r = await c3.query('SELECT pg_backend_pid() AS pid');
        c3.release();
        return r;
      });
      expect(res.rows[0].pid).not.toBe(pid);
      await pool.end();
    });
  });

  describe('maxUses of 2 (max-uses.js)', () => {
    it('can create a single client and use it once', async () => {
      const pool = testPgPool({ maxUses: 2 });
      expect(pool.waitingCount).toBe(0);
      const client = await pool.connect();
      const res = await client.query('SELECT $1::text as name', ['hi']);
      expect(res.rows[0].name).toBe('hi');
      client.release();
      await pool.end();
    });

    it('getting a connection a second time returns the same connection and releasing it also closes it', async () => {
      const pool = testPgPool({ maxUses: 2 });
      const removed: unknown[] = [];
      pool.on('remove', (c) => removed.push(c));
      const client = await pool.connect();
      client.release();
      const client2 = await pool.connect();
      expect(client).toBe(client2);
      expect(removed).toEqual([]);
      client2.release();
      await waitFor(() => removed.length === 1);
      expect(removed).toEqual([client2]);
      expect(pool.totalCount).toBe(0);
      await pool.end();
    });

    it('getting a connection a third time returns a new connection', async () => {
      const pool = testPgPool({ maxUses: 2 });
      const client = await pool.connect();
      client.release();
      const client2 = await pool.connect();
      expect(client).toBe(client2);
      client2.release();
      const client3 = await pool.connect();
      expect(client3).not.toBe(client2);
      client3.release();
      await pool.end();
    });

    it('logs when removing an expended client', async () => {
      const messages: string[] = [];
      const pool = testPgPool({ maxUses: 1, log: (msg: string) => messages.push(msg) });
      const client = await pool.connect();
      client.release();
      // pg-pool logs it within release(); lifeguard closes the connection just after.
      await waitFor(() => messages.includes('remove expended client'));
      await pool.end();
    });
  });

  describe('lifecycle hooks (lifecycle-hooks.js: its hooks.connect is pg-pool 3.x\'s onConnect)', () => {
    type Marked = pg.PoolClient & { HOOK_CONNECT_COUNT?: number; HOOK_CONNECT_RESULT?: number };

    it('are called on connect', async () => {
      const pool = testPgPool({
        max: 1,
        onConnect: (client) => {
          const c = client as Marked;
          c.HOOK_CONNECT_COUNT = (c.HOOK_CONNECT_COUNT ?? 0) + 1;
        },
      });
      const client = (await pool.connect()) as Marked;
      expect(client.HOOK_CONNECT_COUNT).toBe(1);
      client.release();
      const client2 = (await pool.connect()) as Marked;
      expect(client).toBe(client2);
      expect(client2.HOOK_CONNECT_COUNT).toBe(1);
      client2.release();
      await pool.end();
    });

    it('are called on connect with an async hook', async () => {
      const pool = testPgPool({
        max: 1,
        onConnect: async (client) => {
          const res = await client.query('SELECT 1 AS num');
          (client as Marked).HOOK_CONNECT_RESULT = res.rows[0].num;
        },
      });
      const client = (await pool.connect()) as Marked;
      expect(client.HOOK_CONNECT_RESULT).toBe(1);
      expect((await client.query('SELECT 1 AS num')).rows[0].num).toBe(1);
      client.release();
      const client2 = (await pool.connect()) as Marked;
      expect(client).toBe(client2);
      expect(client2.HOOK_CONNECT_RESULT).toBe(1);
      client2.release();
      await pool.end();
    });

    it('errors out the connect call if the async connect hook rejects (PgPool: in the timeout error it ends with)', async () => {
      const pool = testPgPool({
        connectionTimeoutMillis: 500,
        onConnect: async (client) => {
          await client.query('SELECT INVALID HERE');
        },
      });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(err).toBeInstanceOf(Error);
      expect(`${err.message} ${err.cause?.message ?? ''}`).toContain('invalid');
      await pool.end();
    });

    it('PgPool: names the hook failure even when the timeout comes while a later attempt is still in its hook', async () => {
      let calls = 0;
      const pool = testPgPool({
        connectionTimeoutMillis: 500,
        onConnect: async () => {
          calls++;
          // The first attempt fails at once; the next one (after the backoff) is still in its hook at the timeout.
          if (calls > 1) await wait(1500);
          throw new Error(`connect hook failed (call ${calls})`);
        },
      });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(calls).toBeGreaterThan(1);
      expect(`${err.message} ${err.cause?.message ?? ''}`).toContain('connect hook failed (call 1)');
      await pool.end();
    });

    it('errors out the connect call if the connect hook throws (PgPool: in the timeout error it ends with)', async () => {
      const pool = testPgPool({
        connectionTimeoutMillis: 500,
        onConnect: () => {
          throw new Error('connect hook error');
        },
      });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(err).toBeInstanceOf(Error);
      expect(`${err.message} ${err.cause?.message ?? ''}`).toContain('connect hook error');
      await pool.end();
    });
  });

  describe('verify (verify.js)', () => {
    it('verifies a client with a callback (PgPool: the refused client is closed; the caller gets the timeout error, the reason in it)', async () => {
      const pool = testPgPool({
        connectionTimeoutMillis: 500,
        verify: (_client, cb) => cb(new Error('nope')),
      });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(err).toBeInstanceOf(Error);
      expect(`${err.message} ${err.cause?.message ?? ''}`).toMatch(/nope/);
      await waitFor(() => pool.totalCount === 0);
      expect(pool.idleCount).toBe(0);
      await pool.end();
    });
  });

  describe('releasing clients (releasing-clients.js)', () => {
    it('removes a client which cannot be queried', async () => {
      const pool = testPgPool({ max: 1 });
      expect(pool.totalCount).toBe(0);
      const client = await pool.connect();
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(0);
      // sever its connection (pg's test ends client.connection; here the server ends it)
      const errored = new Promise<Error>((resolve) => client.once('error', resolve));
      await terminateBackend(pidOf(client));
      expect(await errored).toBeInstanceOf(Error);
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(0);
      // try to return it to the pool - this removes it because its broken
      client.release();
      await waitFor(() => pool.totalCount === 0);
      expect(pool.idleCount).toBe(0);
      // make sure pool still works
      const { rows } = await pool.query('SELECT NOW()');
      expect(rows).toHaveLength(1);
      await pool.end();
    });

    it('removes a client which is ending', async () => {
      const pool = testPgPool({ max: 1 });
      expect(pool.totalCount).toBe(0);
      const client = await pool.connect();
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(0);
      // end the client gracefully (but you shouldn't do this with pooled clients)
      void client.end();
      client.release();
      await waitFor(() => pool.totalCount === 0);
      expect(pool.idleCount).toBe(0);
      const { rows } = await pool.query('SELECT NOW()');
      expect(rows).toHaveLength(1);
      await pool.end();
    });
  });

  describe('a socket disconnecting in the background (background-socket-terminiation.js)', () => {
    it('should leave the pool in a usable state', async () => {
      const pool = testPgPool({ max: 1 });
      pool.on('error', () => undefined);
      const client = await pool.connect();
      await client.query('SELECT NOW()');
      client.release();
      // now kill the socket in the background (pg ends client.connection.stream; here the server does)
      await terminateBackend(pidOf(client));
      for (let i = 0; i < 4; i++) await pool.query('SELECT NOW()');
      await pool.end();
    });
  });
});

/** Connections the lifeguard pool destroyed, for any reason. */
function destroyedCount(pool: PgPool): number {
  return Object.values(pool.lifeguard.stats().counters.destroyed).reduce((a, b) => a + b, 0);
}

/** The backend pid of every client the pool opens from now on ('connect' fires once per new client). */
function openedBackends(pool: PgPool): number[] {
  const pids: number[] = [];
  pool.on('connect', (client) => pids.push(pidOf(client)));
  return pids;
}
