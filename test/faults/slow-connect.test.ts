/**
 * Slow connects on a real server: the TCP proxy delays every chunk, so each round trip of the
 * PostgreSQL and MariaDB handshakes takes longer, as on a distant or overloaded database host.
 */
import { Registry } from 'prom-client';
import { registerPoolMetrics, type Logger } from '../../src';
import { faultPool } from './harness/fault-pools';
import { forEachProxiedServer } from './harness/proxied-servers';

forEachProxiedServer((label) => `slow connects on ${label} through a TCP proxy`, ({ label, url: SERVER_URL, proxy }) => {
  it('reports a connection that took longer than slowConnectMs to open: event, warn log and lifeguard_slow_connects_total', async () => {
    const warned: Array<{ obj: object; msg?: string }> = [];
    const none = () => undefined;
    const logger: Logger = { debug: none, info: none, error: none, warn: (obj, msg) => void warned.push({ obj, msg }) };
    const pool = faultPool(proxy().urlFor(SERVER_URL), { slowConnectMs: 300, connectTimeoutMs: 20_000, logger });
    const registry = new Registry();
    registerPoolMetrics(pool, registry);
    const slow: Array<{ durationMs: number; slowConnectMs: number }> = [];
    pool.on('slowConnect', (e) => slow.push(e));

    await pool.query('SELECT 1'); // the path is fast: no report
    expect(slow).toEqual([]);

    // Each direction is delayed, so one round trip takes 500 ms: any handshake takes longer than 300 ms.
    proxy().setLatencyMs(250);
    const lease = await pool.acquire();
    const second = await pool.acquire(); // the first connection is lent: this one is opened now
    lease.release();
    second.release();

    expect(slow).toHaveLength(1);
    expect(slow[0].durationMs).toBeGreaterThanOrEqual(300);
    expect(slow[0].slowConnectMs).toBe(300);
    expect(warned.filter((l) => l.msg === 'lifeguard: slow connect')).toHaveLength(1);
    expect(await registry.metrics()).toContain(`lifeguard_slow_connects_total{pool_name="${pool.name}"} 1`);
    console.log(`[figure] slow connect ${label}: 250 ms per chunk each way through the proxy, the connection took ${slow[0].durationMs} ms to open`);
  }, 30_000);
});
