/**
 * node-postgres's own pg-pool tests, ported to PgPool on the real PostgreSQL (part 2: errors,
 * events, connection timeouts, ending). Source: brianc/node-postgres, packages/pg-pool/test/<file>
 * as named in each describe. Test names are pg's; where PgPool differs from pg.Pool by design
 * (docs/integrations.md, "Where PgPool differs"), the name says "PgPool:" and the test holds PgPool
 * to its documented behaviour. pg's tests emit 'error' on a client object by hand and end
 * pool._clients[0]; here the server ends the backend (pg_terminate_backend of the pid we saw).
 */
import pg from 'pg';
import { describePostgres, POSTGRES_URL } from '../../helpers/databases';
import { endPgPools, terminateBackend, testPgPool, waitFor } from '../../helpers/pg-pools';
import { closingServer, delayingProxy, pidOf, plannedClient, silentServer, wait } from './pg-pool-suite-helpers';

/** Backends on the server with this application_name, counted from a connection of the test's own. */
async function countBackends(applicationName: string): Promise<number> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'lg_pg_suite_admin' });
  await admin.connect();
  try {
    return (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows[0].n;
  } finally {
    await admin.end();
  }
}

const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** Runs a callback-style test body's assertions so a failure reaches done() instead of hanging the test. */
const checked =
  (done: jest.DoneCallback, body: () => void) =>
  (): void => {
    try {
      body();
    } catch (err) {
      done(err);
    }
  };

/**
 * Until no connection is being opened. end() while one is (all callers served by the first few)
 * once surfaced an unhandled 'error' from the connector's abort ("closed while connecting"): seen
 * 1 run in ~8, reported in w13's report, not this suite's subject.
 */
async function settled(pool: { idleCount: number; totalCount: number }): Promise<void> {
  await waitFor(() => pool.idleCount === pool.totalCount);
}

/** Runs `body` once the pool has its idle client (a test with a short connectionTimeoutMillis must not spend it opening one). */
function whenWarm(pool: { idleCount: number }, done: jest.DoneCallback, body: () => void): void {
  waitFor(() => pool.idleCount === 1).then(body, done);
}

describePostgres('pg-pool test suite, ported (part 2: errors, events, timeouts, ending)', () => {
  afterEach(endPgPools);

  describe('pool error handling (error-handling.js)', () => {
    it('Should complete these queries without dying', async () => {
      const pool = testPgPool();
      const outcomes = await Promise.allSettled(times(5, () => pool.query("SELECT 'asd'+1 ")));
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      await pool.end();
    });

    describe('calling release more than once', () => {
      it('should throw each time', async () => {
        const pool = testPgPool();
        const client = await pool.connect();
        client.release();
        expect(() => client.release()).toThrow();
        expect(() => client.release()).toThrow();
        await pool.end();
      });

      it('should throw each time with callbacks', (done) => {
        const pool = testPgPool();
        pool.connect((err, _client, clientDone) => {
          checked(done, () => {
            expect(err).toBeUndefined();
            clientDone();
            expect(() => clientDone()).toThrow();
            expect(() => clientDone()).toThrow();
            pool.end(done);
          })();
        });
      });
    });

    describe('calling connect after end', () => {
      it('should return an error', async () => {
        const pool = testPgPool();
        const res = await pool.query('SELECT $1::text as name', ['hi']);
        expect(res.rows[0].name).toBe('hi');
        const ending = pool.end();
        await expect(pool.query('select now()')).rejects.toThrow();
        await ending;
        await expect(pool.query('select now()')).rejects.toThrow();
      });
    });

    describe('using an ended pool', () => {
      it('rejects all additional promises', async () => {
        const pool = testPgPool();
        await pool.end();
        const squash = (promise: Promise<unknown>) => promise.catch(() => 'okay!');
        expect(await Promise.all([squash(pool.connect()), squash(pool.query('SELECT NOW()')), squash(pool.end())])).toEqual(['okay!', 'okay!', 'okay!']);
      });

      it('returns an error on all additional callbacks', (done) => {
        const pool = testPgPool();
        pool.end(() => {
          pool.query('SELECT *', (err) => {
            checked(done, () => expect(err).toBeInstanceOf(Error))();
            pool.connect((err2) => {
              checked(done, () => expect(err2).toBeInstanceOf(Error))();
              (pool.end as (cb: (err?: Error) => void) => void)((err3) => {
                checked(done, () => expect(err3).toBeInstanceOf(Error))();
                done();
              });
            });
          });
        });
      });
    });

    describe('error from idle client', () => {
      it("removes client from pool (PgPool: the error goes to the pool's 'error', not to the idle client's own listeners)", async () => {
        const pool = testPgPool();
        const client = await pool.connect();
        expect(pool.totalCount).toBe(1);
        expect(pool.waitingCount).toBe(0);
        expect(pool.idleCount).toBe(0);
        client.release();
        const poolError = new Promise<Error>((resolve) => pool.once('error', resolve));
        const clientErrors: Error[] = [];
        client.once('error', (err: Error) => clientErrors.push(err));
        await terminateBackend(pidOf(client));
        expect((await poolError).message).toMatch(/terminat/);
        await waitFor(() => pool.totalCount === 0);
        expect(pool.idleCount).toBe(0);
        expect(clientErrors).toEqual([]);
        await pool.end();
      });
    });

    describe('error from in-use client', () => {
      it('keeps the client in the pool (PgPool: until it is released, then destroys it)', async () => {
        const pool = testPgPool();
        const client = await pool.connect();
        expect(pool.totalCount).toBe(1);
        expect(pool.waitingCount).toBe(0);
        expect(pool.idleCount).toBe(0);
        const poolErrors: Error[] = [];
        pool.on('error', (err) => poolErrors.push(err));
        const clientError = new Promise<Error>((resolve) => client.once('error', resolve));
        await terminateBackend(pidOf(client));
        expect((await clientError).message).toMatch(/terminat/);
        expect(poolErrors).toEqual([]);
        expect(pool.idleCount).toBe(0);
        expect(pool.totalCount).toBe(1);
        client.release();
        await waitFor(() => pool.totalCount === 0);
        await pool.end();
      });
    });

    describe('passing a function to pool.query', () => {
      it('calls back with error', (done) => {
        const pool = testPgPool();
        (pool.query as unknown as (cb: (err: Error) => void) => void)((err) => {
          checked(done, () => expect(err).toBeInstanceOf(Error))();
          pool.end(done);
        });
      });
    });

    describe('pool with lots of errors', () => {
      it('continues to work and provide new clients (PgPool: on the same connection, which an SQL error does not break)', async () => {
        const pool = testPgPool({ max: 1 });
        const pids = new Set<number>();
        pool.on('acquire', (client) => pids.add(pidOf(client)));
        const errors: unknown[] = [];
        for (let i = 0; i < 20; i++) await pool.query('invalid sql').catch((err: unknown) => errors.push(err));
        expect(errors).toHaveLength(20);
        expect(pool.idleCount).toBe(1);
        const res = await pool.query('SELECT $1::text as name', ['brianc']);
        expect(res.rows).toHaveLength(1);
        expect(res.rows[0].name).toBe('brianc');
        expect(pids.size).toBe(1);
        await pool.end();
      });
    });

    it('should continue with queued items after a connection failure (PgPool: both callers get the timeout error, ECONNRESET as its cause)', async () => {
      const server = await closingServer();
      try {
        const pool = testPgPool({ max: 1, connectionString: `postgres://postgres@127.0.0.1:${server.port}/test`, ssl: false, connectionTimeoutMillis: 500 });
        const outcomes = await Promise.allSettled([pool.connect(), pool.connect()]);
        for (const outcome of outcomes) {
          expect(outcome.status).toBe('rejected');
          const reason = (outcome as PromiseRejectedResult).reason as Error & { cause?: Error & { code?: string } };
          expect(reason.message).toMatch(/timeout/);
          expect(reason.cause).toBeInstanceOf(Error);
        }
        await pool.lifeguard.close({ timeoutMs: 500 });
      } finally {
        await server.close();
      }
    });

    it('handles post-checkout client failures in pool.query', async () => {
      const pool = testPgPool({ max: 1 });
      pool.on('error', () => undefined);
      let pid = 0;
      pool.once('acquire', (client) => (pid = pidOf(client)));
      const sleeping = pool.query('SELECT pg_sleep(5)').then(
        () => undefined,
        (err: Error) => err,
      );
      await waitFor(() => pid !== 0);
      await wait(200);
      await terminateBackend(pid);
      expect(await sleeping).toBeInstanceOf(Error);
      await waitFor(() => pool.totalCount === 0);
    });
  });

  describe('events (events.js)', () => {
    it('does not throw when an error has no listener (PgPool: an idle client\'s error with no listener is not thrown)', async () => {
      const pool = testPgPool();
      const client = await pool.connect();
      client.release();
      await terminateBackend(pidOf(client));
      await waitFor(() => pool.totalCount === 0);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });

    it('emits connect before callback', (done) => {
      const pool = testPgPool();
      let emittedClient: unknown = false;
      pool.on('connect', (client) => (emittedClient = client));
      pool.connect((err, client, release) => {
        if (err) return done(err);
        release();
        checked(done, () => expect(client).toBe(emittedClient))();
        pool.end(done);
      });
    });

    it('emits "connect" only with a successful connection (PgPool: the caller gets the timeout error, the failure as cause)', async () => {
      const pool = testPgPool({
        ssl: false,
        connectionTimeoutMillis: 300,
        Client: plannedClient(() => ({ fail: new Error('bad news'), afterMs: 0 })),
      });
      pool.on('connect', () => {
        throw new Error('should never get here');
      });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error & { cause?: Error };
      expect(err.message).toMatch(/timeout/);
      expect(err.cause?.message).toBe('bad news');
    });

    it('emits acquire every time a client is acquired', async () => {
      const pool = testPgPool();
      let acquireCount = 0;
      pool.on('acquire', (client) => {
        expect(client).toBeTruthy();
        acquireCount++;
      });
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < 10; i++) {
        work.push(new Promise<void>((resolve, reject) => pool.connect((err, _client, release) => (err ? reject(err) : (release(), resolve())))));
        work.push(pool.query('SELECT now()'));
      }
      await Promise.all(work);
      expect(acquireCount).toBe(20);
      await settled(pool);
      await pool.end();
    });

    it('emits release every time a client is released', async () => {
      const pool = testPgPool();
      let releaseCount = 0;
      pool.on('release', (err, client) => {
        expect(err instanceof Error).not.toBe(true);
        expect(client).toBeTruthy();
        releaseCount++;
      });
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < 10; i++) {
        work.push(new Promise<void>((resolve, reject) => pool.connect((err, _client, release) => (err ? reject(err) : (release(), resolve())))));
        work.push(pool.query('SELECT now()'));
      }
      await Promise.all(work);
      await settled(pool);
      await pool.end();
      expect(releaseCount).toBe(20);
    });

    it('emits release with an error if client is released due to an error', (done) => {
      const pool = testPgPool();
      pool.connect((err, client, release) => {
        checked(done, () => expect(err).toBeUndefined())();
        const releaseError = new Error('problem');
        pool.once('release', (err2, errClient) => {
          checked(done, () => {
            expect(err2).toBe(releaseError);
            expect(errClient).toBe(client);
          })();
          pool.end(done);
        });
        release(releaseError);
      });
    });

    it('emits error and client if an idle client in the pool hits an error (PgPool: its backend terminated)', (done) => {
      const pool = testPgPool();
      pool.connect((err, client) => {
        checked(done, () => expect(err).toBeUndefined())();
        client!.release();
        pool.once('error', (err2, errClient) => {
          checked(done, () => {
            expect(err2.message).toMatch(/terminat/);
            expect(errClient).toBe(client);
          })();
          done();
        });
        void terminateBackend(pidOf(client));
      });
    });
  });

  describe('connection timeout (connection-timeout.js)', () => {
    let silent: Awaited<ReturnType<typeof silentServer>>;
    beforeAll(async () => {
      silent = await silentServer();
    });
    afterAll(() => silent.close());
    const silentUrl = () => `postgres://postgres@127.0.0.1:${silent.port}/test`;

    it('should callback with an error if timeout is passed', (done) => {
      const pool = testPgPool({ connectionTimeoutMillis: 10, connectionString: silentUrl(), ssl: false });
      pool.connect((err, client) => {
        checked(done, () => {
          expect(err).toBeInstanceOf(Error);
          expect(err!.message).toContain('timeout');
          expect(client).toBeUndefined();
          expect(pool.idleCount).toBe(0);
        })();
        done();
      });
    });

    it('should reject promise with an error if timeout is passed', async () => {
      const pool = testPgPool({ connectionTimeoutMillis: 10, connectionString: silentUrl(), ssl: false });
      const err = (await pool.connect().catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain('timeout');
      expect(pool.idleCount).toBe(0);
    });

    it('should handle multiple timeouts', async () => {
      const errors: unknown[] = [];
      const pool = testPgPool({ connectionTimeoutMillis: 1, connectionString: silentUrl(), ssl: false });
      for (let i = 0; i < 15; i++) await pool.connect().catch((e: unknown) => errors.push(e));
      expect(errors).toHaveLength(15);
    });

    it('should timeout on checkout of used connection', (done) => {
      const pool = testPgPool({ connectionTimeoutMillis: 100, max: 1, min: 1 });
      // Warm first (min: 1): on a loaded machine opening the client can itself take the short timeout.
      whenWarm(pool, done, () =>
        pool.connect((err, client, release) => {
          checked(done, () => {
            expect(err).toBeUndefined();
            expect(client).toBeDefined();
          })();
          pool.connect((err2, client2) => {
            checked(done, () => {
              expect(err2).toBeInstanceOf(Error);
              expect(client2).toBeUndefined();
            })();
            release();
            pool.end(done);
          });
        }),
      );
    });

    it('should not break further pending checkouts on a timeout', (done) => {
      const pool = testPgPool({ connectionTimeoutMillis: 200, max: 1, min: 1 });
      // Warm first (min: 1): on a loaded machine opening the client can itself take the short timeout.
      whenWarm(pool, done, () =>
        pool.connect((err, _client, releaseOuter) => {
          checked(done, () => expect(err).toBeUndefined())();
          pool.connect((err2, client2) => {
            checked(done, () => {
              expect(err2).toBeInstanceOf(Error);
              expect(client2).toBeUndefined();
            })();
            releaseOuter();
          });
          setTimeout(() => {
            pool.connect((err3, client3, releaseInner) => {
              checked(done, () => {
                expect(err3).toBeUndefined();
                expect(client3).toBeDefined();
              })();
              releaseInner();
              pool.end(done);
            });
          }, 100);
        }),
      );
    });

    it('should timeout on query if all clients are busy', (done) => {
      const pool = testPgPool({ connectionTimeoutMillis: 100, max: 1, min: 1 });
      // Warm first (min: 1): on a loaded machine opening the client can itself take the short timeout.
      whenWarm(pool, done, () =>
        pool.connect((err, client, release) => {
          checked(done, () => {
            expect(err).toBeUndefined();
            expect(client).toBeDefined();
          })();
          pool.query('select now()', (err2, result) => {
            checked(done, () => {
              expect(err2).toBeInstanceOf(Error);
              expect(result).toBeUndefined();
            })();
            release();
            pool.end(done);
          });
        }),
      );
    });

    it('should recover from timeout errors', (done) => {
      const pool = testPgPool({ connectionTimeoutMillis: 100, max: 1, min: 1 });
      // Warm first (min: 1): on a loaded machine opening the client can itself take the short timeout.
      whenWarm(pool, done, () =>
        pool.connect((err, client, release) => {
          checked(done, () => {
            expect(err).toBeUndefined();
            expect(client).toBeDefined();
          })();
          pool.query('select now()', (err2, result) => {
            checked(done, () => {
              expect(err2).toBeInstanceOf(Error);
              expect(result).toBeUndefined();
            })();
            release();
            pool.query('select $1::text as name', ['brianc'], (err3, res) => {
              checked(done, () => {
                expect(err3).toBeUndefined();
                expect(res.rows).toHaveLength(1);
              })();
              pool.end(done);
            });
          });
        }),
      );
    });

    it('continues processing after a connection failure (PgPool: the failed attempt is retried, so the caller gets a client)', (done) => {
      const connectionFailure = new Error('Temporary connection failure');
      const pool = testPgPool({
        ssl: false,
        connectionTimeoutMillis: 1000,
        max: 1,
        Client: plannedClient((attempt) => (attempt === 0 ? { fail: connectionFailure, afterMs: 100 } : undefined)),
      });
      pool.connect((err, client, release) => {
        checked(done, () => {
          expect(err).toBeUndefined();
          expect(client).toBeDefined();
        })();
        release();
        pool.query('select $1::text as name', ['brianc'], (err2, res) => {
          checked(done, () => {
            expect(err2).toBeUndefined();
            expect(res.rows).toHaveLength(1);
          })();
          pool.end(done);
        });
      });
    });

    describe('with a connection that takes long to establish (pg patches Client.prototype.connect; here a proxy delays the socket)', () => {
      const target = new URL(POSTGRES_URL);
      const viaProxy = (port: number) => {
        const url = new URL(POSTGRES_URL);
        url.hostname = '127.0.0.1';
        url.port = String(port);
        return url.toString();
      };
      let proxy: Awaited<ReturnType<typeof delayingProxy>> | undefined;
      afterEach(async () => {
        await proxy?.close();
        proxy = undefined;
      });

      it('releases newly connected clients if the queued already timed out (PgPool: each caller is called back once, with the timeout)', async () => {
        // The first attempt fails after 300 ms; the second reaches the server only after 1000 ms.
        proxy = await delayingProxy({ host: target.hostname, port: Number(target.port || 5432) }, (n) => (n === 0 ? 1000 : 0));
        const pool = testPgPool({
          connectionString: viaProxy(proxy.port),
          ssl: false,
          connectionTimeoutMillis: 1000,
          max: 1,
          Client: plannedClient((attempt) => (attempt === 0 ? { fail: new Error('Temporary connection failure'), afterMs: 300 } : undefined)),
        });
        const calls: Array<Error | undefined> = [];
        const direct = new Promise<void>((resolve) => pool.connect((err) => (calls.push(err), resolve())));
        let queuedCalls = 0;
        const queued = new Promise<Error | undefined>((resolve) =>
          pool.connect((err) => {
            queuedCalls++;
            resolve(err);
          }),
        );
        await direct;
        const queuedErr = await queued;
        expect(calls).toHaveLength(1);
        expect(calls[0]?.message).toContain('timeout');
        expect(queuedErr?.message).toContain('timeout');
        const res = await pool.query('select $1::text as name', ['brianc']);
        expect(res.rows).toHaveLength(1);
        await wait(200);
        expect(queuedCalls).toBe(1);
        expect(calls).toHaveLength(1);
      });

      it('does not retain a connection that establishes after the timeout (#3543) (PgPool: the late one is dropped; a retry that connected is the pool\'s own, idle and counted)', async () => {
        proxy = await delayingProxy({ host: target.hostname, port: Number(target.port || 5432) }, (n) => (n === 0 ? 200 : 0));
        const pool = testPgPool({ connectionString: viaProxy(proxy.port), ssl: false, connectionTimeoutMillis: 100, max: 1 });
        const err = (await pool.connect().catch((e: unknown) => e)) as Error;
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toContain('timeout');
        await wait(400);
        // No backend of this pool's (its application_name) outside what the pool counts.
        // (A retry lifeguard started before the caller gave up may have connected since: that one
        // is the pool's, idle and counted.)
        const backends = await countBackends(pool.options.application_name as string);
        expect(backends).toBe(pool.totalCount);
        expect(pool.idleCount).toBe(pool.totalCount);
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      });
    });
  });

  describe('pool ending (ending.js)', () => {
    it('ends without being used', (done) => {
      const pool = testPgPool();
      pool.end(done);
    });

    it('ends with a promise', () => testPgPool().end());

    it('ends with clients', async () => {
      const pool = testPgPool();
      const res = await pool.query('SELECT $1::text as name', ['brianc']);
      expect(res.rows[0].name).toBe('brianc');
      await pool.end();
    });

    it('allows client to finish', async () => {
      const pool = testPgPool();
      const query = pool.query('SELECT $1::text as name', ['brianc']);
      await pool.end();
      const res = await query;
      expect(res.rows[0].name).toBe('brianc');
    });

    it('finish pending queries ', async () => {
      const pool = testPgPool({ poolSize: 10, max: undefined } as Parameters<typeof testPgPool>[0]);
      const queries = times(20, (x) => pool.query('SELECT $1::text as name', [`brianc${x + 1}`]));
      const ending = (pool.end as (cb?: unknown) => Promise<void>)(false);
      expect((await queries[19]).rows[0].name).toBe('brianc20');
      await ending;
    });
  });
});
