/**
 * PgPool's events and shutdown against pg.Pool's documentation: connect, acquire, release, remove
 * and error with pg's arguments; an idle client's error emitted, never thrown; end() while
 * clients are out; the ending/ended flags; a second end().
 */
import pg from 'pg';
import { describePostgres } from '../../helpers/databases';
import { backendPid, endPgPools, terminateBackend, testPgPool, waitFor } from '../../helpers/pg-pools';

/**
 * A pg.Client that counts each query() called while one of its own queries is still running: the
 * use pg deprecates ("Calling client.query() when the client is already executing a query").
 */
function overlapCountingClient(overlaps: string[]): new (config?: pg.ClientConfig) => pg.Client {
  return class extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      let running = 0;
      const done = () => void running--;
      (this as unknown as { query: unknown }).query = (...args: unknown[]) => {
        if (running > 0) overlaps.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: unknown }).text));
        running++;
        const last = args.length - 1;
        const callback = args[last];
        if (typeof callback === 'function') {
          args[last] = (...result: unknown[]) => {
            done();
            (callback as (...r: unknown[]) => void)(...result);
          };
          return query(...args);
        }
        const result = query(...args);
        if (result instanceof Promise) result.then(done, done);
        else done(); // a Submittable: not used here
        return result;
      };
    }
  };
}

describePostgres('PgPool: events and end() as pg.Pool documents them', () => {
  afterEach(endPgPools);

  it("emits 'connect' once per new client, with the very client connect() then returns", async () => {
    const pool = testPgPool({ max: 1 });
    const connected: unknown[] = [];
    pool.on('connect', (client) => connected.push(client));
    const first = await pool.connect();
    first.release();
    const second = await pool.connect();
    second.release();
    expect(connected).toHaveLength(1);
    expect(connected[0]).toBe(first);
    expect(second).toBe(first);
  });

  it("lets a 'connect' listener set a client up before its first caller runs anything", async () => {
    const pool = testPgPool();
    pool.on('connect', (client) => {
      void client.query("SET application_name = 'set_by_connect_listener'");
    });
    const { rows } = await pool.query("SELECT current_setting('application_name') AS name");
    expect(rows[0].name).toBe('set_by_connect_listener');
  });

  it("lends a client only once what a 'connect' listener sent is done: lifeguard never queries a busy client", async () => {
    // pg's own example: the listener cannot await, so pg queued the SET ahead of the caller's
    // query. lifeguard's check on acquire (SELECT 1) used to be sent while the SET still ran.
    const overlaps: string[] = [];
    const pool = testPgPool({ max: 1, ssl: false, Client: overlapCountingClient(overlaps) });
    // A pool's first connection also carries lifeguard's one-off fleet check (max_connections),
    // sent alongside its first caller by design (src/sizing/fleet-check.ts): this test is about
    // the connections after it, so that one is used and destroyed first.
    const first = await pool.connect();
    await first.query('SELECT 1');
    first.release(true);
    overlaps.length = 0;
    pool.on('connect', (client) => {
      void client.query("SELECT pg_sleep(0.2), set_config('application_name', 'set_by_slow_listener', false)");
    });
    const { rows } = await pool.query("SELECT current_setting('application_name') AS name");
    expect(rows[0].name).toBe('set_by_slow_listener');
    const client = await pool.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    client.release();
    expect(overlaps).toEqual([]);
  });

  it("emits 'acquire' for every checkout, pool.query's included, with the client", async () => {
    const pool = testPgPool({ max: 1 });
    const acquired: unknown[] = [];
    pool.on('acquire', (client) => acquired.push(client));
    const client = await pool.connect();
    client.release();
    await pool.query('SELECT 1');
    expect(acquired).toEqual([client, client]);
  });

  it("emits 'release' with the error given to release() and the client", async () => {
    const pool = testPgPool();
    const released: Array<[unknown, unknown]> = [];
    pool.on('release', (err, client) => released.push([err, client]));
    const a = await pool.connect();
    a.release();
    const b = await pool.connect();
    const why = new Error('broken by the caller');
    b.release(why);
    expect(released).toEqual([
      [undefined, a],
      [why, b],
    ]);
  });

  it("emits 'remove' with the client when a client is closed and removed", async () => {
    const pool = testPgPool();
    const removed: unknown[] = [];
    pool.on('remove', (client) => removed.push(client));
    const client = await pool.connect();
    client.release(true);
    await waitFor(() => removed.length === 1);
    expect(removed[0]).toBe(client);
  });

  it("emits an idle client's error on the pool with (err, client), removes it, and the next caller gets a new backend", async () => {
    const pool = testPgPool({ max: 1 });
    const errors: Array<[Error, unknown]> = [];
    pool.on('error', (err, client) => errors.push([err, client]));
    const client = await pool.connect();
    const pid = await backendPid(client);
    client.release();
    await terminateBackend(pid);
    await waitFor(() => errors.length === 1);
    expect(errors[0][1]).toBe(client);
    expect((errors[0][0] as Error & { code?: string }).code).toBe('57P01');
    const next = await pool.connect();
    expect(await backendPid(next)).not.toBe(pid);
    next.release();
  });

  it("never throws an idle client's error when nobody listens for 'error' (pg would crash the process)", async () => {
    const pool = testPgPool({ max: 1 });
    const client = await pool.connect();
    const pid = await backendPid(client);
    client.release();
    await terminateBackend(pid);
    await waitFor(() => pool.totalCount === 0);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it("gives a lent client's connection error to that client's own 'error' listeners", async () => {
    const pool = testPgPool({ max: 1 });
    const poolErrors: Error[] = [];
    pool.on('error', (err) => poolErrors.push(err));
    const client = await pool.connect();
    const clientErrors: Error[] = [];
    client.on('error', (err) => clientErrors.push(err));
    await terminateBackend(await backendPid(client));
    await waitFor(() => clientErrors.length >= 1);
    expect(poolErrors).toEqual([]);
    client.release();
    await waitFor(() => pool.totalCount === 0);
  });

  it('end() waits for a checked-out client, then closes it; ending is true at once, ended at the end', async () => {
    const pool = testPgPool();
    const client = await pool.connect();
    let ended = false;
    const ending = pool.end().then(() => (ended = true));
    expect(pool.ending).toBe(true);
    expect(pool.ended).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toBe(false);
    expect((await client.query('SELECT 1 AS still')).rows).toEqual([{ still: 1 }]);
    client.release();
    await ending;
    expect(pool.ended).toBe(true);
    expect(pool.totalCount).toBe(0);
  });

  it('refuses new checkouts once end() was called, and rejects a second end()', async () => {
    const pool = testPgPool();
    await pool.query('SELECT 1');
    await pool.end();
    await expect(pool.connect()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    await expect(pool.end()).rejects.toThrow('Called end on pool more than once');
    const viaCallback = await new Promise<Error | undefined>((resolve) => pool.end((err?: Error) => resolve(err)));
    expect(viaCallback?.message).toBe('Called end on pool more than once');
  });

  it('end(callback) calls back once the pool is drained', async () => {
    const pool = testPgPool();
    await pool.query('SELECT 1');
    await new Promise<void>((resolve, reject) => pool.end((err?: Error) => (err ? reject(err) : resolve())));
    expect(pool.ended).toBe(true);
  });

  it("keeps the pool's counts right when a listener throws", async () => {
    const pool = testPgPool({ max: 1 });
    const reported: unknown[] = [];
    pool.on('error', (err) => reported.push(err));
    pool.on('acquire', () => {
      throw new Error('listener bug');
    });
    const client = (await pool.connect()) as pg.PoolClient;
    client.release();
    expect(pool.idleCount).toBe(1);
    expect(reported).toHaveLength(1);
  });
});
