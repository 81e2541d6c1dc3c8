/**
 * PgPool's pool settings and hooks against pg.Pool's documentation (the Pool constructor's config
 * and pg-pool's README): idleTimeoutMillis, min, maxUses, maxLifetimeSeconds and expiredCount,
 * allowExitOnIdle, Client, onConnect, verify and log.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { describePostgres, POSTGRES_URL } from '../../helpers/databases';
import { backendPid, endPgPools, testPgPool, waitFor } from '../../helpers/pg-pools';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePostgres('PgPool: pool settings and hooks as pg.Pool documents them', () => {
  afterEach(endPgPools);

  it('idleTimeoutMillis: an idle client is closed and removed once it has been idle that long', async () => {
    const pool = testPgPool({ idleTimeoutMillis: 300 });
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    const client = await pool.connect();
    client.release();
    expect(pool.totalCount).toBe(1);
    const releasedAt = Date.now();
    await waitFor(() => removed.length === 1);
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(290);
    expect(pool.totalCount).toBe(0);
  });

  it('min: the idle timeout never takes the pool below min', async () => {
    const pool = testPgPool({ min: 1, idleTimeoutMillis: 100 });
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of clients) c.release();
    await waitFor(() => pool.totalCount === 1);
    await sleep(400);
    expect([pool.totalCount, pool.idleCount]).toEqual([1, 1]);
  });

  it('maxUses: a client is closed and replaced after that many checkouts', async () => {
    const pool = testPgPool({ max: 1, maxUses: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await pool.connect();
      pids.push(await backendPid(client));
      client.release();
    }
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[0]);
  });

  it('maxLifetimeSeconds: an expired client is counted in expiredCount while out, and replaced when it comes back', async () => {
    const pool = testPgPool({ max: 1, maxLifetimeSeconds: 1 });
    const client = await pool.connect();
    const pid = await backendPid(client);
    expect(pool.expiredCount).toBe(0);
    await waitFor(() => pool.expiredCount === 1, 5000);
    client.release();
    const next = await pool.connect();
    expect(await backendPid(next)).not.toBe(pid);
    expect(pool.expiredCount).toBe(0);
    next.release();
  });

  it('maxLifetimeSeconds: an idle client past its lifetime is closed without waiting for a caller', async () => {
    const pool = testPgPool({ max: 1, maxLifetimeSeconds: 1 });
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    await pool.query('SELECT 1');
    await waitFor(() => removed.length === 1, 5000);
    expect(pool.totalCount).toBe(0);
  });

  describe('allowExitOnIdle', () => {
    const entry = resolve(__dirname, '../../../dist/src/integrations/pg/index.js');
    const script = (allowExitOnIdle: boolean) =>
      `const { PgPool } = require(${JSON.stringify(entry)});
       const pool = new PgPool({ connectionString: ${JSON.stringify(POSTGRES_URL)}, env: {}, idleTimeoutMillis: 0, connectionTimeoutMillis: 60000, allowExitOnIdle: ${allowExitOnIdle}, name: 'lg_pg_exit_${process.pid}' });
       pool.query('SELECT 1').then(() => console.log('queried'));`;

    function run(allowExitOnIdle: boolean, waitMs: number): Promise<{ exited: boolean; stdout: string }> {
      return new Promise((done) => {
        const child = spawn(process.execPath, ['-e', script(allowExitOnIdle)], { cwd: join(__dirname, '../../..') });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        const timer = setTimeout(() => {
          child.kill();
          done({ exited: false, stdout });
        }, waitMs);
        child.on('exit', () => {
          clearTimeout(timer);
          done({ exited: true, stdout });
        });
      });
    }

    it('true: a process whose clients are all idle exits by itself, without end()', async () => {
      // Within far less than connectionTimeoutMillis: no timer of the pool holds the process either.
      const result = await run(true, 20_000);
      expect(result).toEqual({ exited: true, stdout: 'queried\n' });
    });

    it('false (the default): an idle client keeps the process alive, as with pg', async () => {
      const result = await run(false, 3000);
      expect(result).toEqual({ exited: false, stdout: 'queried\n' });
    });
  });

  it('Client: connections are opened with the given pg.Client class', async () => {
    const made: unknown[] = [];
    class CountingClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super(config);
        made.push(this);
      }
    }
    // ssl: false, so no TLS attempt (lifeguard's default sslMode is prefer) opens a second client.
    const pool = testPgPool({ Client: CountingClient, ssl: false });
    const client = await pool.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    client.release();
    expect(made).toHaveLength(1);
  });

  it('onConnect: runs once on each new client before any caller gets it, and its queries are lifeguard operations', async () => {
    const seen: unknown[] = [];
    const pool = testPgPool({
      max: 1,
      onConnect: async (client) => {
        seen.push(client);
        await client.query("SET application_name = 'set_in_onConnect'");
      },
    });
    const client = await pool.connect();
    expect((await client.query("SELECT current_setting('application_name') AS name")).rows[0].name).toBe('set_in_onConnect');
    client.release();
    await pool.query('SELECT 1');
    expect(seen).toEqual([client]);
    expect(pool.lifeguard.stats().queryMs.count).toBe(3);
  });

  it('onConnect: a rejection closes that client, and the caller is told why', async () => {
    let calls = 0;
    const pool = testPgPool({
      connectionTimeoutMillis: 1500,
      onConnect: async () => {
        calls++;
        throw new Error('onConnect refused this client');
      },
    });
    const err = (await pool.connect().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/timeout/);
    expect(err.message).toContain('onConnect refused this client');
    expect(calls).toBeGreaterThanOrEqual(1);
    await waitFor(() => pool.totalCount === 0);
  });

  it('verify: a client verify refuses is never lent', async () => {
    let verified = 0;
    const pool = testPgPool({
      connectionTimeoutMillis: 1500,
      verify: (_client, done) => {
        verified++;
        done(verified === 1 ? new Error('first client refused') : undefined);
      },
    });
    const client = await pool.connect();
    expect(verified).toBe(2);
    client.release();
  });

  it('log: receives what the pool logs', async () => {
    const lines: string[] = [];
    const pool = testPgPool({ slowQueryMs: 1, log: (message: string) => lines.push(message) });
    await pool.query('SELECT pg_sleep(0.02)');
    expect(lines.some((line) => /slow query/.test(line))).toBe(true);
  });
});
