/**
 * A password given as a function, under load, while the role's password is rotated on the server:
 * on a private PostgreSQL whose roles log in with scram-sha-256 (ALTER ROLE … PASSWORD), and on the
 * local MariaDB with a user of its own (ALTER USER … IDENTIFIED BY). New connections (maxLifetimeMs
 * keeps them coming) use the new password, a connection opened before the first rotation keeps
 * working, and not one caller fails. A connect that fetched the old password just before a rotation
 * is refused by the server; the pool retries it with backoff and a fresh password.
 */
import { inspect } from 'node:util';
import { Client } from 'pg';
import type { Pool, PoolOptions } from '../../src';
import { createPool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { describeMysql, MYSQL_URL, uniqueName } from '../helpers/databases';
import { describePgCluster, PgCluster } from '../helpers/pg-cluster';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RotationRun {
  queries: number;
  callersFailed: number;
  failures: string[];
  rotations: number;
  passwordCalls: number;
  created: number;
  createdAfterLastRotation: number;
  authFailures: number;
  heldConnectionWorked: boolean;
}

/**
 * `callers` loop on `sql` for `durationMs`; every `rotateEveryMs` the server's password is changed
 * and, `storeLagMs` later, the function starts giving the new one (a secret store updated after the
 * database accepted the change): connects in that window are refused and must be retried. One
 * connection is held from before the first rotation to the end.
 */
async function rotateUnderLoad(
  options: PoolOptions,
  sql: string,
  rotate: (password: string) => Promise<void>,
  plan: { callers: number; durationMs: number; rotateEveryMs: number; storeLagMs: number },
): Promise<RotationRun> {
  let current = 'pw-0';
  let passwordCalls = 0;
  const pool: Pool = createPool({
    ...options,
    password: async () => {
      passwordCalls++;
      return current;
    },
  });
  const run: RotationRun = { queries: 0, callersFailed: 0, failures: [], rotations: 0, passwordCalls: 0, created: 0, createdAfterLastRotation: 0, authFailures: 0, heldConnectionWorked: false };
  let lastRotationAt = Infinity;
  pool.on('connect', () => {
    if (Date.now() > lastRotationAt) run.createdAfterLastRotation++;
  });
  pool.on('createError', () => run.authFailures++);
  try {
    await pool.warmup();
    const held = await pool.acquire();
    const stopAt = Date.now() + plan.durationMs;
    const caller = async () => {
      while (Date.now() < stopAt) {
        try {
          await pool.query(sql);
          run.queries++;
        } catch (err) {
          run.callersFailed++;
          if (run.failures.length < 3) run.failures.push(String(err));
        }
      }
    };
    const rotations = (async () => {
      for (let n = 1; Date.now() + plan.rotateEveryMs < stopAt; n++) {
        await sleep(plan.rotateEveryMs);
        await rotate(`pw-${n}`);
        await sleep(plan.storeLagMs);
        current = `pw-${n}`;
        lastRotationAt = Date.now();
        run.rotations = n;
      }
    })();
    await Promise.all([...Array.from({ length: plan.callers }, caller), rotations]);
    run.heldConnectionWorked = (await held.query('SELECT 1 AS one')).rows[0] !== undefined;
    held.release();
    run.passwordCalls = passwordCalls;
    run.created = pool.stats().counters.created;
    const printed = inspect(pool.config, { depth: 10 }) + JSON.stringify(pool.config) + inspect(pool, { depth: 3 });
    if (/pw-\d/.test(printed)) throw new Error('a password appears in the printed pool or config');
    return run;
  } finally {
    await pool.close({ timeoutMs: 2000 });
  }
}

function expectNoCallerFailed(run: RotationRun, label: string): void {
  console.log(
    `[figure] rotation ${label}: ${run.queries} queries by the callers over the run, ${run.rotations} rotations, ` +
      `callers failed ${run.callersFailed}; connections opened ${run.created} (${run.createdAfterLastRotation} after the last rotation), ` +
      `password function called ${run.passwordCalls} times, ${run.authFailures} connects refused (old password, in the 400 ms before the store had the new one) and retried with backoff`,
  );
  expect(run.failures).toEqual([]);
  expect(run.callersFailed).toBe(0);
  expect(run.rotations).toBeGreaterThanOrEqual(2);
  expect(run.heldConnectionWorked).toBe(true);
  expect(run.createdAfterLastRotation).toBeGreaterThanOrEqual(1);
  // Asked once per connection attempt: each success, each refused attempt, and any still opening when the load ended.
  expect(run.passwordCalls).toBeGreaterThanOrEqual(run.created + run.authFailures);
  expect(run.passwordCalls).toBeLessThanOrEqual(run.created + run.authFailures + 6);
}

describePgCluster('password rotation on PostgreSQL with scram-sha-256', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.start({ label: 'rotation', passwordAuth: 'scram-sha-256' });
    await cluster.psql(`CREATE ROLE rotator LOGIN PASSWORD 'pw-0'`);
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });
  const url = () => `postgres://rotator@127.0.0.1:${cluster.port}/postgres`;

  async function canLogIn(password: string): Promise<boolean> {
    // Explicit fields: pg lets a connectionString's (absent) password override the password option.
    const client = new Client({ host: '127.0.0.1', port: cluster.port, user: 'rotator', database: 'postgres', password, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  }

  it('the server really checks the password (scram-sha-256)', async () => {
    expect(await cluster.psql(`SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'rotator'`)).toBe('t');
    expect(await canLogIn('pw-0')).toBe(true);
    expect(await canLogIn('wrong')).toBe(false);
  });

  it('rotating the role\'s password mid-load: new connections use the new one, open ones keep working, no caller fails', async () => {
    const run = await rotateUnderLoad(
      { url: url(), env: {}, logger: silentLogger, name: uniqueName('lg_rotate'), min: 2, max: 6, maxLifetimeMs: 1500, evictionIntervalMs: 200, acquireTimeoutMs: 15_000, connectTimeoutMs: 5000 },
      'SELECT current_user, pg_backend_pid()',
      (password) => cluster.psql(`ALTER ROLE rotator PASSWORD '${password}'`).then(() => undefined),
      { callers: 12, durationMs: 10_000, rotateEveryMs: 2000, storeLagMs: 400 },
    );
    expectNoCallerFailed(run, 'PostgreSQL (scram-sha-256)');
    const last = `pw-${run.rotations}`;
    expect(await canLogIn(last)).toBe(true);
    expect(await canLogIn('pw-0')).toBe(false);
  }, 60_000);

  it('a password the server refuses fails the caller by acquireTimeoutMs, retried with backoff, with the server error as cause and no secret printed', async () => {
    const secret = 'wrong-S3cret-9911';
    const pool = createPool({ url: url(), env: {}, logger: silentLogger, name: uniqueName('lg_rotate_bad'), max: 1, acquireTimeoutMs: 1200, password: () => secret });
    const events: unknown[] = [];
    pool.on('createError', (e) => events.push(e));
    try {
      const err = (await pool.query('SELECT 1').catch((e: unknown) => e)) as Error & { cause?: { code?: string } };
      expect(err.constructor.name).toBe('PoolTimeoutError');
      expect(err.cause?.code).toBe('28P01');
      expect(pool.connectAttempts).toBeLessThanOrEqual(6);
      const printed = [inspect(err, { depth: 10 }), String(err), inspect(events, { depth: 10 })].join('\n');
      expect(printed).toMatch(/password authentication failed for user "rotator"/);
      expect(printed).not.toContain(secret);
    } finally {
      await pool.close();
    }
  });
});

describeMysql('password rotation on MariaDB', () => {
  const user = uniqueName('lg_rot').slice(0, 32);
  let admin: Pool;
  beforeAll(async () => {
    admin = createPool({ url: MYSQL_URL, env: {}, logger: silentLogger, name: uniqueName('lg_rot_admin'), max: 1 });
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-0'`);
  });
  afterAll(async () => {
    await admin.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
    await admin.close();
  });

  it('rotating the user\'s password mid-load: no caller fails', async () => {
    const target = new URL(MYSQL_URL);
    target.username = user;
    target.password = '';
    // No database: the user was granted nothing, and a session needs no schema for these statements.
    target.pathname = '/';
    const run = await rotateUnderLoad(
      { url: target.toString(), env: {}, logger: silentLogger, name: uniqueName('lg_rotate'), min: 2, max: 6, maxLifetimeMs: 1500, evictionIntervalMs: 200, acquireTimeoutMs: 15_000, connectTimeoutMs: 5000 },
      'SELECT CURRENT_USER(), CONNECTION_ID()',
      (password) => admin.query(`ALTER USER '${user}'@'%' IDENTIFIED BY '${password}'`).then(() => undefined),
      { callers: 12, durationMs: 8000, rotateEveryMs: 2000, storeLagMs: 400 },
    );
    expectNoCallerFailed(run, 'MariaDB');
  }, 60_000);
});
