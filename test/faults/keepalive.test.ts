/**
 * Idle keepalive against a NAT that forgets quiet connections: the TCP proxy drops, silently, any
 * connection that carried no byte for more than 2 s. With keepaliveMs 1000 the pool's idle
 * connections survive 6 s of idleness (the same server connection ids after); without it they are
 * forgotten, and test-on-acquire replaces them without a caller failing; and a keepalive check
 * that finds one dead replaces it before a caller can be handed it, even with test-on-acquire off.
 */
import type { Pool } from '../../src';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL } from '../helpers/databases';
import { closeFaultPools, faultPool, sleep, waitFor } from './harness/fault-pools';
import { TcpProxy } from './harness/tcp-proxy';

const NAT_IDLE_TIMEOUT_MS = 2000;
const IDLE_MS = 6000;
const CONNECTIONS = 3;

const targets = [
  { label: 'PostgreSQL', describeServer: describePostgres, url: POSTGRES_URL, defaultPort: 5432, idSql: 'SELECT pg_backend_pid() AS id' },
  { label: 'MariaDB', describeServer: describeMysql, url: MYSQL_URL, defaultPort: 3306, idSql: 'SELECT CONNECTION_ID() AS id' },
];

for (const { label, describeServer, url: SERVER_URL, defaultPort, idSql } of targets) describeServer(`idle keepalive on ${label} behind a NAT that forgets quiet connections`, () => {
  let proxy: TcpProxy;
  beforeEach(async () => {
    const target = new URL(SERVER_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || defaultPort));
  });
  afterEach(async () => {
    await closeFaultPools();
    await proxy.close();
  });

  /** CONNECTIONS callers at once, each holding its own connection: the server ids of all of them, and how many callers failed. */
  async function serverIds(pool: Pool): Promise<{ ids: number[]; failed: number; tookMs: number }> {
    const started = Date.now();
    const leases = await Promise.allSettled(Array.from({ length: CONNECTIONS }, () => pool.acquire()));
    const ids: number[] = [];
    let failed = 0;
    for (const lease of leases) {
      if (lease.status === 'rejected') {
        failed++;
        continue;
      }
      try {
        ids.push(Number((await lease.value.query<{ id: number }>(idSql)).rows[0].id));
      } catch {
        failed++;
      } finally {
        lease.value.release();
      }
    }
    return { ids: ids.sort((a, b) => a - b), failed, tookMs: Date.now() - started };
  }

  it(`keepaliveMs 1000: the connections survive ${IDLE_MS / 1000} s idle, the same server connections after`, async () => {
    const pool = faultPool(proxy.urlFor(SERVER_URL), { min: CONNECTIONS, max: CONNECTIONS, keepaliveMs: 1000, testOnAcquire: true });
    proxy.dropIdleAfter(NAT_IDLE_TIMEOUT_MS);
    await pool.warmup();
    const before = await serverIds(pool);
    await sleep(IDLE_MS);
    const after = await serverIds(pool);
    console.log(
      `[figure] keepalive ${label}: keepaliveMs 1000 behind a ${NAT_IDLE_TIMEOUT_MS} ms NAT, ${IDLE_MS} ms idle: ` +
        `server ids before ${before.ids.join(',')}, after ${after.ids.join(',')}; forgotten ${proxy.forgottenCount}, callers failed ${before.failed + after.failed}`,
    );
    expect(before.ids).toHaveLength(CONNECTIONS);
    expect(after.ids).toEqual(before.ids);
    expect(before.failed + after.failed).toBe(0);
    expect(proxy.forgottenCount).toBe(0);
    const { counters } = pool.stats();
    expect(counters.created).toBe(CONNECTIONS);
    expect(counters.validationFailures).toBe(0);
    expect(Object.values(counters.destroyed).reduce((a, b) => a + b, 0)).toBe(0);
  }, 30_000);

  it(`without keepalive the NAT forgets them; test-on-acquire replaces them and no caller fails`, async () => {
    const pool = faultPool(proxy.urlFor(SERVER_URL), {
      min: CONNECTIONS,
      max: CONNECTIONS,
      keepaliveMs: 0,
      testOnAcquire: true,
      // Bounds each validation of a forgotten connection (it never answers).
      connectTimeoutMs: 1000,
      acquireTimeoutMs: 10_000,
    });
    proxy.dropIdleAfter(NAT_IDLE_TIMEOUT_MS);
    await pool.warmup();
    const before = await serverIds(pool);
    await sleep(IDLE_MS);
    expect(proxy.forgottenCount).toBe(CONNECTIONS);
    const after = await serverIds(pool);
    console.log(
      `[figure] keepalive ${label}: off, ${IDLE_MS} ms idle behind a ${NAT_IDLE_TIMEOUT_MS} ms NAT: ${proxy.forgottenCount} connections forgotten; ` +
        `server ids before ${before.ids.join(',')}, after ${after.ids.join(',')}; callers failed ${before.failed + after.failed}, ` +
        `their acquires took ${after.tookMs} ms (one validation timeout, connectTimeoutMs 1000, then a new connection)`,
    );
    expect(before.failed + after.failed).toBe(0);
    expect(after.ids).toHaveLength(CONNECTIONS);
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([]);
    expect(pool.stats().counters.destroyed.validation).toBe(CONNECTIONS);
  }, 30_000);

  it('a keepalive check that finds a connection dead replaces it before any caller is handed it (test-on-acquire off)', async () => {
    const pool = faultPool(proxy.urlFor(SERVER_URL), {
      min: CONNECTIONS,
      max: CONNECTIONS,
      keepaliveMs: 1000,
      testOnAcquire: false,
      connectTimeoutMs: 500,
    });
    await pool.warmup();
    const before = await serverIds(pool);
    // The NAT loses its whole table at once: every connection is dead and nothing says so.
    expect(proxy.forgetAll()).toBe(CONNECTIONS);
    const started = Date.now();
    await waitFor(() => pool.stats().counters.destroyed.keepalive === CONNECTIONS && pool.stats().idle === CONNECTIONS, 15_000, 50);
    const replacedMs = Date.now() - started;
    const after = await serverIds(pool);
    console.log(
      `[figure] keepalive ${label}: all ${CONNECTIONS} connections forgotten at once; keepalive (1000 ms, checks bounded by 500 ms) ` +
        `replaced them in ${replacedMs} ms; then callers failed ${after.failed} with test-on-acquire off; ids ${before.ids.join(',')} → ${after.ids.join(',')}`,
    );
    expect(after.failed).toBe(0);
    expect(after.ids.filter((id) => before.ids.includes(id))).toEqual([]);
  }, 30_000);
});
