import { Registry } from 'prom-client';
import { ConfigError, ReplicaLagError, registerPoolMetrics, type ReadRoutedEvent } from '../../src';
import { fakeDatabase, type FakeDatabase } from '../helpers/fake-adapter';
import { closeFakePools, fakePool, sleep } from '../helpers/pools';

function replicas(count: number): { dbs: FakeDatabase[]; urls: string[] } {
  const made = Array.from({ length: count }, () => fakeDatabase());
  return { dbs: made.map((m) => m.db), urls: made.map((m) => m.url) };
}

/** Takes a fake database down the way a stopped server goes: connections die, new ones are refused. */
function stop(db: FakeDatabase): void {
  db.connectError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  for (const raw of [...db.open]) db.kill(raw);
}

function start(db: FakeDatabase): void {
  db.connectError = undefined;
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

afterEach(closeFakePools);

describe('read replicas', () => {
  it('sends readOnly queries and reader() to a replica, and writes and transactions to the primary', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls });
    const served: ReadRoutedEvent[] = [];
    pool.on('readRouted', (e) => served.push(e));

    await pool.query('SELECT 1', [], { readOnly: true });
    await pool.reader().query('SELECT 2');
    expect(dbs[0].connects).toBe(1);
    expect(primary.connects).toBe(0);

    await pool.query('INSERT 1');
    await pool.transaction((tx) => tx.query('SELECT in a transaction'), { readOnly: true });
    expect(primary.connects).toBe(1);
    expect(dbs[0].connects).toBe(1);
    expect(served).toEqual([
      { pool: pool.name, servedBy: `${pool.name}:replica-1`, fallback: false },
      { pool: pool.name, servedBy: `${pool.name}:replica-1`, fallback: false },
    ]);
    expect(pool.stats().reads?.replicas[0]).toMatchObject({ name: `${pool.name}:replica-1`, healthy: true, reads: 2 });
  });

  it('routes the next read to the least-busy replica', async () => {
    const { urls } = replicas(2);
    const { pool } = fakePool({ readReplicaUrls: urls, max: 2 });
    const served: string[] = [];
    pool.on('readRouted', (e) => served.push(e.servedBy));
    const held = await pool.reader().acquire();
    await pool.reader().query('SELECT');
    await pool.reader().query('SELECT');
    // The replica holding a borrowed connection is busier: both reads go to the other one.
    expect(served[1]).not.toBe(served[0]);
    expect(served[2]).toBe(served[1]);
    held.release();
  });

  it('falls back to the primary at once when the only replica is unreachable, and says so in stats and events', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, acquireTimeoutMs: 5000 });
    const down: string[] = [];
    pool.on('replicaDown', (e) => down.push(`${e.replica}: ${e.error.message}`));
    stop(dbs[0]);

    const started = Date.now();
    await pool.reader().query('SELECT');
    // Not the 5 s acquire timeout: the first refused connect takes the replica out.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(primary.connects).toBe(1);
    expect(down).toEqual([`${pool.name}:replica-1: connect ECONNREFUSED`]);
    const reads = pool.stats().reads!;
    expect(reads.primaryFallbackReads).toBe(1);
    expect(reads.replicas[0]).toMatchObject({ healthy: false, failures: 1, lastError: 'connect ECONNREFUSED' });
  });

  it('retries a read elsewhere when the replica connection breaks under it', async () => {
    const { dbs, urls } = replicas(2);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls });
    await Promise.all([pool.reader().query('sleep 20'), pool.reader().query('sleep 20')]);
    expect(dbs.map((d) => d.open.size)).toEqual([1, 1]);
    // Both replicas' sockets die without a word (no error event): the next read finds out by failing.
    for (const db of dbs) for (const raw of db.open) raw.open = false;
    const result = await pool.reader().query('SELECT');
    expect(result.rows).toHaveLength(1);
    expect(primary.connects).toBe(1);
    expect(pool.stats().reads!.replicas.map((r) => r.healthy)).toEqual([false, false]);
    expect(pool.stats().reads!.primaryFallbackReads).toBe(1);
  });

  it('does not retry an SQL error elsewhere: it is the caller’s', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls });
    await expect(pool.reader().query('fail')).rejects.toThrow('syntax error');
    expect(primary.connects).toBe(0);
    expect(dbs[0].connects).toBe(1);
    expect(pool.stats().reads!.replicas[0].healthy).toBe(true);
  });

  it('takes out a replica that fails its health check and puts it back when the check passes', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, replicaCheckIntervalMs: 50 });
    const events: string[] = [];
    pool.on('replicaDown', () => events.push('down'));
    pool.on('replicaUp', () => events.push('up'));
    await pool.reader().query('SELECT');
    for (let id = 1; id < 100; id++) dbs[0].failValidation.add(id);
    await waitFor(() => events.includes('down'));

    await pool.reader().query('SELECT');
    expect(primary.connects).toBe(1);

    dbs[0].failValidation.clear();
    await waitFor(() => events.includes('up'));
    const before = dbs[0].connects;
    await pool.reader().query('SELECT');
    expect(pool.stats().reads!.replicas[0]).toMatchObject({ healthy: true, reads: 2 });
    expect(dbs[0].connects).toBeGreaterThanOrEqual(before);
    expect(events).toEqual(['down', 'up']);
  });

  it('takes out a replica lagging more than maxReplicaLagMs and puts it back when it catches up', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, replicaCheckIntervalMs: 50, maxReplicaLagMs: 500 });
    const down: Error[] = [];
    pool.on('replicaDown', (e) => down.push(e.error));
    dbs[0].replicationLagMs = 20;
    await waitFor(() => pool.stats().reads!.replicas[0].lagMs === 20);
    await pool.reader().query('SELECT');
    expect(primary.connects).toBe(0);

    dbs[0].replicationLagMs = 1500;
    await waitFor(() => down.length === 1);
    expect(down[0]).toBeInstanceOf(ReplicaLagError);
    expect(down[0]).toMatchObject({ code: 'REPLICA_LAGGING', lagMs: 1500, maxLagMs: 500 });
    await pool.reader().query('SELECT');
    expect(primary.connects).toBe(1);

    dbs[0].replicationLagMs = 0;
    await waitFor(() => pool.stats().reads!.replicas[0].healthy);
    expect(pool.stats().reads!.replicas[0].lagMs).toBe(0);
  });

  it('does not measure lag unless maxReplicaLagMs is set', async () => {
    const { dbs, urls } = replicas(1);
    const { pool } = fakePool({ readReplicaUrls: urls, replicaCheckIntervalMs: 50 });
    dbs[0].replicationLagMs = 60_000;
    await sleep(150);
    expect(pool.stats().reads!.replicas[0]).toMatchObject({ healthy: true });
    expect(pool.stats().reads!.replicas[0].lagMs).toBeUndefined();
  });

  it('brings a stopped replica back once it accepts connections again', async () => {
    const { dbs, urls } = replicas(1);
    const { pool } = fakePool({ readReplicaUrls: urls, replicaCheckIntervalMs: 50 });
    stop(dbs[0]);
    await pool.reader().query('SELECT');
    expect(pool.stats().reads!.replicas[0].healthy).toBe(false);
    start(dbs[0]);
    await waitFor(() => pool.stats().reads!.replicas[0].healthy);
    await pool.reader().query('SELECT');
    expect(pool.stats().reads!.replicas[0].reads).toBe(1);
  });

  it('stops a read waiting on a replica the moment that replica is taken out', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, max: 1, acquireTimeoutMs: 5000 });
    const held = await pool.reader().acquire();
    const waiting = pool.reader().query('SELECT');
    await sleep(20);
    stop(dbs[0]);
    // The dead connection goes back; the pool's attempt to replace it for the waiter is refused.
    const started = Date.now();
    held.release();
    await waiting;
    // Not the 5 s acquire timeout: the refusal takes the replica out and the waiter goes to the primary.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(primary.connects).toBe(1);
    expect(pool.stats().reads!.primaryFallbackReads).toBe(1);
  });

  it('queues many reads on one busy replica and serves them all there', async () => {
    const { urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, max: 2 });
    await Promise.all(Array.from({ length: 30 }, () => pool.reader().query('sleep 5')));
    expect(pool.stats().reads!.replicas[0].reads).toBe(30);
    expect(primary.connects).toBe(0);
  });

  it('uses the primary for reads when no replica is configured', async () => {
    const { pool, db } = fakePool();
    await pool.reader().query('SELECT');
    await pool.query('SELECT', [], { readOnly: true });
    expect(db.connects).toBe(1);
    expect(pool.stats().reads).toBeUndefined();
    expect(pool.replicaPools).toEqual([]);
  });

  it('gives each replica pool the primary’s settings except those its own URL sets', async () => {
    const { urls } = replicas(2);
    const { pool } = fakePool({ readReplicaUrls: [`${urls[0]}?max=2`, urls[1]], max: 7, acquireTimeoutMs: 1234, name: 'orders' });
    const [first, second] = pool.replicaPools;
    expect(first.name).toBe('orders:replica-1');
    expect(first.config.max).toBe(2);
    expect(first.config.acquireTimeoutMs).toBe(1234);
    expect(second.config.max).toBe(7);
    expect(first.config.readReplicaUrls).toEqual([]);
  });

  it('rejects a replica URL it cannot use at createPool, naming the replica setting and never the password', () => {
    const { urls } = replicas(1);
    expect(() => fakePool({ readReplicaUrls: [urls[0], `${urls[0]}?max=0&password=x`] })).toThrow(ConfigError);
    let error: unknown;
    try {
      fakePool({ readReplicaUrls: ['postgres://app:s3cret@replica/db?max=lots'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Read replica 1 \(postgres:\/\/app:\[redacted\]@replica\/db\?max=lots\) is not usable: .*max/);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('closes the replica pools with the primary', async () => {
    const { dbs, urls } = replicas(2);
    const { pool } = fakePool({ readReplicaUrls: urls });
    await Promise.all([pool.reader().query('SELECT'), pool.reader().query('SELECT')]);
    await pool.close();
    expect(pool.replicaPools.every((p) => p.isClosed)).toBe(true);
    expect(dbs.every((d) => d.open.size === 0)).toBe(true);
    await expect(pool.reader().query('SELECT')).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('exports each replica pool’s metrics under its own pool_name, and keeps health about the primary', async () => {
    const { dbs, urls } = replicas(1);
    const { pool } = fakePool({ readReplicaUrls: urls, name: 'orders' });
    const registry = new Registry();
    for (const p of [pool, ...pool.replicaPools]) registerPoolMetrics(p, registry);
    await pool.reader().query('SELECT');
    const text = await registry.metrics();
    expect(text).toMatch(/db_client_connection_count\{[^}]*pool_name="orders:replica-1"[^}]*\} 1/);
    stop(dbs[0]);
    await pool.reader().query('SELECT');
    // A replica out of rotation must not take every instance out of the load balancer with it.
    const health = await pool.health();
    expect(health.status).toBe('healthy');
    expect(health.pool.reads?.replicas[0].healthy).toBe(false);
  });
});

describe('the read router seam', () => {
  it('is installed by the package entry: a Pool built from src/pool/ alone refuses readReplicaUrls, naming the setting', () => {
    jest.isolateModules(() => {
      const { Pool } = require('../../src/pool/pool') as typeof import('../../src/pool/pool');
      const { ConfigError: IsolatedConfigError } = require('../../src/shared/errors') as typeof import('../../src/shared/errors');
      let refused: unknown;
      try {
        new Pool({ name: 'router-seam', url: 'file::memory:', readReplicaUrls: ['file::memory:'], env: {} });
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(IsolatedConfigError);
      expect(refused).toMatchObject({ setting: 'readReplicaUrls', message: expect.stringContaining('no read router is installed') });
    });
  });

  it('gives a pool without replicas a reader that reads on the primary and says so', async () => {
    const { pool } = fakePool({ name: 'router-seam-primary' });
    const routed: ReadRoutedEvent[] = [];
    pool.on('readRouted', (e) => routed.push(e));
    await pool.reader().query('SELECT 1');
    await pool.reader().withConnection((conn) => conn.query('SELECT 1'));
    expect(routed).toEqual([
      { pool: 'router-seam-primary', servedBy: 'router-seam-primary', fallback: false },
      { pool: 'router-seam-primary', servedBy: 'router-seam-primary', fallback: false },
    ]);
    expect(pool.stats().reads).toBeUndefined();
  });
});

describe('readOnly with no healthy replica', () => {
  it('falls back to the primary once, without sending the read back to the router (was: RangeError, stack overflow)', async () => {
    const { dbs, urls } = replicas(1);
    const { pool, db: primary } = fakePool({ readReplicaUrls: urls, acquireTimeoutMs: 2000 });
    stop(dbs[0]);
    await pool.reader().query('select').catch(() => undefined);
    expect(pool.stats().reads!.replicas[0].healthy).toBe(false);
    await expect(pool.query('select', [], { readOnly: true })).resolves.toMatchObject({ rowCount: 1 });
    expect(primary.connects).toBe(1);
  });

  it('a readOnly read queued on a replica when close() is called settles with POOL_CLOSED, not a stack overflow', async () => {
    const { urls } = replicas(1);
    // max 1: the replica's only connection is held, so the read really waits on the replica.
    const { pool } = fakePool({ readReplicaUrls: urls, acquireTimeoutMs: 2000, max: 1 });
    const replica = pool.replicaPools[0];
    const held = await replica.acquire();
    const queued = pool.query('select', [], { readOnly: true });
    await sleep(10);
    expect(replica.stats().pending).toBe(1);
    const closing = pool.close({ timeoutMs: 20 });
    const err = await queued.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'POOL_CLOSED' });
    held.release();
    await closing;
  });
});
