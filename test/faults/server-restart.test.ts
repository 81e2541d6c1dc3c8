/**
 * The server restarts under load (a private PostgreSQL cluster: fast shutdown, then start, as
 * `pg_ctlcluster restart` does): only the queries in flight at the shutdown fail, callers queued
 * meanwhile are served once it is back, and the pool finds the server again within a second.
 */
import { PgCluster, pgClusterUnavailableReason } from '../helpers/pg-cluster';
import { REQUIRE_DATABASES } from '../helpers/databases';
import { closeFaultPools, faultPool, sleep } from './harness/fault-pools';

const unavailable = pgClusterUnavailableReason();
if (unavailable && !REQUIRE_DATABASES) console.log(`server-restart faults: ${unavailable}; suite skipped`);

const WORKERS = 16;

(unavailable && !REQUIRE_DATABASES ? describe.skip : describe)('server restart mid-load (private PostgreSQL)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.start({ label: 'faults-restart' });
  }, 60_000);
  afterEach(closeFaultPools);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('fails only the queries in flight at shutdown and serves again within a second of the server being up', async () => {
    const pool = faultPool(cluster.url(), { max: 8, testOnAcquire: true, acquireTimeoutMs: 10_000, connectTimeoutMs: 1000 });
    await pool.query('SELECT 1');
    const successes: number[] = [];
    const failures: Array<{ startedAt: number; code: string }> = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const startedAt = Date.now();
        try {
          await pool.query('SELECT pg_sleep(0.005)');
          successes.push(Date.now());
        } catch (err) {
          failures.push({ startedAt, code: String((err as { code?: string }).code ?? (err as Error).message) });
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);
    await sleep(500);

    const stopAt = Date.now();
    await cluster.stopServer('fast');
    const downAt = Date.now();
    await cluster.startServer();
    const upAt = Date.now();
    await sleep(1500);
    running = false;
    await Promise.all(workers);

    const firstSuccessAfterUp = successes.find((t) => t >= upAt);
    const recoveryMs = firstSuccessAfterUp === undefined ? Infinity : firstSuccessAfterUp - upAt;
    const failedLater = failures.filter((f) => f.startedAt > downAt);
    console.log(
      `[figure] restart: server down for ${upAt - stopAt} ms (stop ${downAt - stopAt} ms, start ${upAt - downAt} ms); ` +
        `${failures.length} queries failed (${WORKERS} workers, at most ${WORKERS} in flight), ${failedLater.length} of them started after shutdown; ` +
        `first success ${recoveryMs} ms after the server was up; ${successes.length} queries succeeded`,
    );
    expect(failures.length).toBeLessThanOrEqual(WORKERS);
    expect(failedLater).toEqual([]);
    expect(recoveryMs).toBeLessThan(1000);
  }, 40_000);
});
