/**
 * Network faults between the pool and the local PostgreSQL and MariaDB, through the TCP proxy: a
 * path that goes silent (blackhole) and a path whose sockets are all cut at once.
 */
import { PoolTimeoutError, QueryTimeoutError } from '../../src';
import { faultPool, sleep, waitFor } from './harness/fault-pools';
import { forEachProxiedServer } from './harness/proxied-servers';
import type { TcpProxy } from './harness/tcp-proxy';

forEachProxiedServer((label) => `network faults on ${label} through a TCP proxy`, (server) => {
  const { label, url: SERVER_URL } = server;
  let proxy: TcpProxy;
  beforeEach(() => {
    proxy = server.proxy();
  });

  describe('blackhole', () => {
    it('detects a silent connection by the statement timeout, destroys it and frees its slot', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { min: 2, max: 2, statementTimeoutMs: 300, acquireTimeoutMs: 2000 });
      await pool.warmup(); // two open connections, so both queries below run on one that goes silent
      const destroyed: string[] = [];
      pool.on('destroy', (e) => destroyed.push(e.reason));
      proxy.blackhole();
      const started = Date.now();
      const outcomes = await Promise.allSettled([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      const detectedMs = Date.now() - started;
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).constructor.name : 'fulfilled'))).toEqual([
        'QueryTimeoutError',
        'QueryTimeoutError',
      ]);
      await waitFor(() => destroyed.length === 2, 2000);
      expect(destroyed).toEqual(['broken', 'broken']);
      expect(pool.stats()).toMatchObject({ active: 0, idle: 0 });

      await proxy.resume();
      const healedAt = Date.now();
      await expect(pool.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
      console.log(
        `[figure] blackhole ${label}: silent connections detected after ${detectedMs} ms (statementTimeoutMs 300 + grace 300), both destroyed; ` +
          `first query after the path healed took ${Date.now() - healedAt} ms`,
      );
      expect(detectedMs).toBeLessThan(1500);
    });

    it('bounds a query on a silent connection by its own timeoutMs when no statement timeout is set', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { max: 1 });
      await pool.query('SELECT 1');
      proxy.blackhole();
      await expect(pool.query('SELECT 1', [], { timeoutMs: 300 })).rejects.toBeInstanceOf(QueryTimeoutError);
      await proxy.resume();
      await expect(pool.query('SELECT 3 AS three')).resolves.toMatchObject({ rows: [{ three: 3 }] });
    });

    it('gives up on connections that never answer by connectTimeoutMs, leaving no socket or slot behind', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { max: 2, connectTimeoutMs: 300, acquireTimeoutMs: 1000 });
      proxy.blackhole();
      const started = Date.now();
      const err = await pool.acquire().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PoolTimeoutError);
      expect(String(((err as Error).cause as Error).message)).toMatch(/timed out after 300 ms/);
      expect(Date.now() - started).toBeLessThan(1500);
      await waitFor(() => pool.stats().opening === 0, 2000);
      await waitFor(() => proxy.openConnections === 0, 2000);
      expect(pool.stats()).toMatchObject({ total: 0, active: 0 });

      await proxy.resume();
      await expect(pool.query('SELECT 4 AS four', [], { timeoutMs: 3000 })).resolves.toMatchObject({ rows: [{ four: 4 }] });
    });

    it('with testOnAcquire, validation of a silent idle connection is bounded and the caller gets a working one', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { max: 2, testOnAcquire: true, connectTimeoutMs: 300, acquireTimeoutMs: 3000 });
      await pool.query('SELECT 1');
      await sleep(600); // past the 500 ms window in which a recently used connection skips validation
      proxy.blackhole();
      const waiting = pool.query('SELECT 5 AS five');
      await sleep(400); // validation times out; the replacement's connect is silent too
      await proxy.resume();
      await expect(waiting).resolves.toMatchObject({ rows: [{ five: 5 }] });
      expect(pool.stats().counters.validationFailures).toBeGreaterThanOrEqual(1);
    });
  });

  describe('cut sockets', () => {
    it('after every socket is cut, the next queries succeed within 2 s and no caller gets a dead connection (testOnAcquire)', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { min: 6, max: 6, testOnAcquire: true, acquireTimeoutMs: 3000 });
      await pool.warmup();
      const rounds: Array<{ failed: number; ms: number }> = [];
      for (const idleForMs of [600, 0]) {
        // Idle past the validation window (validated on acquire), then fresh from use (not validated:
        // the driver's own error event must have retired them).
        await Promise.all(Array.from({ length: 6 }, () => pool.query('SELECT 1')));
        await sleep(idleForMs);
        expect(proxy.cutAll()).toBe(6);
        await sleep(5); // the RST reaches the client sockets
        const started = Date.now();
        const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => pool.query('SELECT 1 AS one')));
        rounds.push({ failed: outcomes.filter((o) => o.status === 'rejected').length, ms: Date.now() - started });
      }
      console.log(
        `[figure] cut sockets ${label}: 6 connections cut; 30 queries right after: ` +
          rounds.map((r, i) => `${i === 0 ? 'idle 600 ms' : 'just used'}: ${r.failed} failed, all done in ${r.ms} ms`).join('; '),
      );
      expect(rounds.map((r) => r.failed)).toEqual([0, 0]);
      for (const round of rounds) expect(round.ms).toBeLessThan(2000);
    });

    it('without testOnAcquire, a caller may meet a cut connection once, and the pool replaces it', async () => {
      const pool = faultPool(proxy.urlFor(SERVER_URL), { max: 2, testOnAcquire: false });
      await pool.query('SELECT 1');
      proxy.cutAll();
      await sleep(5);
      const outcomes = await Promise.allSettled([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      expect(outcomes.filter((o) => o.status === 'rejected').length).toBeLessThanOrEqual(1);
      await expect(pool.query('SELECT 6 AS six')).resolves.toMatchObject({ rows: [{ six: 6 }] });
    });
  });
});
