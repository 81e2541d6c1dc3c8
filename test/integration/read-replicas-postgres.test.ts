/**
 * Read replicas against a real PostgreSQL streaming replica: a private primary cluster and a hot
 * standby made from it with `pg_basebackup -R`, each on its own port. The replica is really stopped
 * and started again; the shared server on 5432 is not involved.
 */
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { uniqueName } from '../helpers/databases';
import { describePgCluster, PgCluster } from '../helpers/pg-cluster';
import { sleep } from '../helpers/pools';

interface ServerRow {
  in_recovery: boolean;
  port: number;
}

const WHO_ANSWERS = 'SELECT pg_is_in_recovery() AS in_recovery, inet_server_port() AS port';

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

describePgCluster('read replicas on a real PostgreSQL streaming replica', () => {
  jest.setTimeout(60_000);
  let primary: PgCluster;
  let replica: PgCluster;
  let pool: Pool;
  const events: string[] = [];
  const table = uniqueName('replicated');

  beforeAll(async () => {
    primary = await PgCluster.start({ label: 'replicas-primary' });
    replica = await PgCluster.startReplicaOf(primary, { label: 'replicas-standby' });
    pool = createPool({
      name: uniqueName('replicas'),
      url: primary.url(),
      readReplicaUrls: [replica.url()],
      env: {},
      profile: 'test',
      logger: silentLogger,
      sslMode: 'disable',
      max: 3,
      acquireTimeoutMs: 5000,
      connectTimeoutMs: 2000,
      replicaCheckIntervalMs: 200,
      maxReplicaLagMs: 1000,
    });
    pool.on('replicaDown', (e) => events.push(`down ${e.replica}`));
    pool.on('replicaUp', (e) => events.push(`up ${e.replica}`));
  });

  afterAll(async () => {
    await pool?.close({ timeoutMs: 2000 });
    await replica?.destroy();
    await primary?.destroy();
  });

  it('serves reads from the replica (in recovery) and writes and transactions from the primary', async () => {
    const read = await pool.reader().query<ServerRow>(WHO_ANSWERS);
    expect(read.rows[0]).toEqual({ in_recovery: true, port: replica.port });
    const readOnly = await pool.query<ServerRow>(WHO_ANSWERS, [], { readOnly: true });
    expect(readOnly.rows[0].in_recovery).toBe(true);

    const plain = await pool.query<ServerRow>(WHO_ANSWERS);
    expect(plain.rows[0]).toEqual({ in_recovery: false, port: primary.port });
    const inTransaction = await pool.transaction((tx) => tx.query<ServerRow>(WHO_ANSWERS), { readOnly: true });
    expect(inTransaction.rows[0].in_recovery).toBe(false);

    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    await pool.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, 'written on the primary']);
    // The row reaches the replica by streaming replication, and the reader sees it there.
    const replicated = await eventually(
      () => pool.reader().query<{ note: string }>(`SELECT note FROM ${table} WHERE id = 1`).catch(() => ({ rows: [] as { note: string }[] })),
      (r) => r.rows.length === 1,
    );
    expect(replicated.rows[0].note).toBe('written on the primary');
  });

  it('lets the replica refuse a write sent as a read, without retrying it on the primary', async () => {
    await expect(pool.query(`INSERT INTO ${table} VALUES (2, 'x')`, [], { readOnly: true })).rejects.toThrow(/read-only transaction/);
    const onPrimary = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    expect(onPrimary.rows[0].n).toBe(1);
    expect(pool.stats().reads!.replicas[0].healthy).toBe(true);
  });

  it('falls back to the primary when the replica is stopped, and returns to it when it is back', async () => {
    await replica.stopServer('fast');
    // No read fails: the first one finds the replica gone and is answered by the primary.
    const during = await pool.reader().query<ServerRow>(WHO_ANSWERS);
    expect(during.rows[0]).toEqual({ in_recovery: false, port: primary.port });
    const reads = pool.stats().reads!;
    expect(reads.replicas[0].healthy).toBe(false);
    expect(reads.primaryFallbackReads).toBeGreaterThanOrEqual(1);
    expect(events).toContain(`down ${pool.name}:replica-1`);

    await replica.startServer();
    const after = await eventually(
      () => pool.reader().query<ServerRow>(WHO_ANSWERS),
      (r) => r.rows[0].in_recovery,
    );
    expect(after.rows[0].port).toBe(replica.port);
    expect(events).toEqual([`down ${pool.name}:replica-1`, `up ${pool.name}:replica-1`]);
  });

  it('takes the replica out while its replay is paused and lagging, and back once it catches up', async () => {
    events.length = 0;
    await replica.psql('SELECT pg_wal_replay_pause()');
    try {
      await pool.query(`INSERT INTO ${table} VALUES ($1, $2)`, [3, 'written while replay is paused']);
      // The replica received the WAL but does not replay it: past 1 s behind, it is taken out.
      await eventually(async () => events.length, (n) => n >= 1);
      expect(events).toEqual([`down ${pool.name}:replica-1`]);
      expect(pool.stats().reads!.replicas[0].lagMs).toBeGreaterThan(1000);
      expect(pool.stats().reads!.replicas[0].lastError).toMatch(/ms behind its primary, more than maxReplicaLagMs 1000/);
      // Reads now see the new row, because the primary answers them.
      const fresh = await pool.reader().query<{ note: string } & ServerRow>(`SELECT note, ${WHO_ANSWERS.slice('SELECT '.length)} FROM ${table} WHERE id = 3`);
      expect(fresh.rows[0]).toMatchObject({ note: 'written while replay is paused', in_recovery: false });
    } finally {
      await replica.psql('SELECT pg_wal_replay_resume()');
    }
    const back = await eventually(
      () => pool.reader().query<{ note: string } & ServerRow>(`SELECT note, ${WHO_ANSWERS.slice('SELECT '.length)} FROM ${table} WHERE id = 3`),
      (r) => r.rows[0]?.in_recovery === true,
    );
    expect(back.rows[0].note).toBe('written while replay is paused');
    expect(events).toEqual([`down ${pool.name}:replica-1`, `up ${pool.name}:replica-1`]);
    expect(pool.stats().reads!.replicas[0].lagMs).toBe(0);
  });

  it('answers a read from the primary when the replica crashes under it', async () => {
    const before = await pool.reader().query<ServerRow>(WHO_ANSWERS);
    expect(before.rows[0].in_recovery).toBe(true);
    const inFlight = pool.reader().query<ServerRow>(`SELECT pg_sleep(0.5), ${WHO_ANSWERS.slice('SELECT '.length)}`);
    await sleep(150);
    // immediate: backends are killed mid-query, as in a crash.
    await replica.stopServer('immediate');
    const answered = await inFlight;
    expect(answered.rows[0]).toMatchObject({ in_recovery: false, port: primary.port });
    expect(pool.stats().reads!.replicas[0].healthy).toBe(false);
  });
});
