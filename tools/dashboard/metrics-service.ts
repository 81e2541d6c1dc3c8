/**
 * A service with one lifeguard pool under a scripted load on PostgreSQL, exposing /metrics the way
 * docs/monitoring.md shows (createPool, registerPoolMetrics on a prom-client Registry, node:http).
 * The Prometheus scrape test and the dashboard picture (docs/monitoring/dashboard.png) run it, so
 * what Prometheus scrapes is what a service under load exports: saturation, waits, slow queries,
 * acquire timeouts, killed connections, and quiet again.
 *
 *   DATABASE_URL=postgres://… node dist/tools/dashboard/metrics-service.js   # the picture's 160 s
 *   METRICS_SCENARIO=short …                                                  # every phase, 25 s
 *
 * It prints `listening on <port>` once /metrics is up, starts the load at the first scrape,
 * prints `phase <name> <epoch ms>` as each phase starts and `done <epoch ms> ok=<n> failed=<n>` at
 * the end (failed: calls refused by design, the acquire timeouts and killed connections), then
 * lingers for the last scrapes and exits 0. SIGTERM ends it after the phase under way.
 */
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { createPool, registerPoolMetrics, silentLogger, type Pool } from '../../src';

interface Phase {
  name: string;
  seconds: number;
  callers: number;
  /** One operation; a rejected one counts as a failed caller call. */
  operation: (pool: Pool, caller: number, iteration: number) => Promise<unknown>;
}

const sleepQuery = (ms: number) => `SELECT pg_sleep(${(ms / 1000).toFixed(3)})`;

/** Quick statements of 1–5 ms: a normal day. */
const light = (pool: Pool, caller: number, i: number) => pool.query(sleepQuery(1 + ((caller + i) % 5)));

function scenario(scale: number): Phase[] {
  const s = (seconds: number) => Math.max(2, Math.round(seconds * scale));
  return [
    { name: 'steady', seconds: s(30), callers: 4, operation: light },
    // More callers than connections, each holding one for 20–40 ms: the pool saturates and callers queue.
    { name: 'busy', seconds: s(30), callers: 24, operation: (pool, c, i) => pool.query(sleepQuery(20 + ((c * 7 + i) % 21))) },
    // One caller in six runs a 300 ms statement, over slowQueryMs.
    { name: 'slow queries', seconds: s(25), callers: 8, operation: (pool, c, i) => pool.query(sleepQuery((c + i) % 6 === 0 ? 300 : 3)) },
    // Callers that will not wait more than 30 ms for a connection while the pool is full: timeouts.
    { name: 'overload', seconds: s(20), callers: 32, operation: (pool, c, i) => impatient(pool, sleepQuery(40 + ((c + i) % 10))) },
    // The database kills the pool's connections (a failover, an operator): broken, then reopened.
    { name: 'killed', seconds: s(20), callers: 6, operation: killer },
    { name: 'quiet', seconds: s(35), callers: 1, operation: (pool) => pool.query('SELECT 1') },
  ];
}

/** A caller that gives up after 30 ms without a connection (the acquire timeout, not a query timeout). */
async function impatient(pool: Pool, sql: string): Promise<unknown> {
  const lease = await pool.acquire({ timeoutMs: 30 });
  try {
    return await lease.query(sql);
  } finally {
    lease.release();
  }
}

let lastKillAt = 0;

/** Every 4 s one caller terminates the pool's own backends; the others keep working. */
async function killer(pool: Pool, caller: number, i: number): Promise<unknown> {
  if (caller === 0 && Date.now() - lastKillAt >= 4000) {
    lastKillAt = Date.now();
    return pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [pool.config.applicationName],
    );
  }
  return pool.query(sleepQuery(5 + (i % 5)));
}

async function runPhase(pool: Pool, phase: Phase, counts: { ok: number; failed: number }): Promise<void> {
  const stopAt = Date.now() + phase.seconds * 1000;
  const caller = async (id: number) => {
    for (let i = 0; Date.now() < stopAt; i++) {
      try {
        await phase.operation(pool, id, i);
        counts.ok++;
      } catch {
        counts.failed++;
        // A caller that was refused backs off a little, as a client retrying would.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: phase.callers }, (_, id) => caller(id)));
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const name = process.env.METRICS_POOL_NAME ?? 'orders';
  const short = process.env.METRICS_SCENARIO === 'short';
  const pool = createPool({
    url,
    name,
    applicationName: `${name}-${process.pid}`,
    min: 2,
    max: 10,
    idleTimeoutMs: 5000,
    maxLifetimeMs: short ? 8000 : 40_000,
    slowQueryMs: 200,
    criticalQueryMs: 1000,
    // Lower than a real target (100 ms): connections to a local server open in 10–50 ms, and the panel should show some.
    slowConnectMs: 30,
    logger: silentLogger,
  });
  const registry = new Registry();
  registerPoolMetrics(pool, registry);
  let scraped!: () => void;
  const firstScrape = new Promise<void>((resolve) => (scraped = resolve));
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    scraped();
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.METRICS_PORT ?? 0), '127.0.0.1', resolve));
  const address = server.address();
  process.stdout.write(`listening on ${typeof address === 'object' && address ? address.port : ''}\n`);
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));

  const counts = { ok: 0, failed: 0 };
  await pool.warmup();
  // The scenario starts once Prometheus has scraped the idle pool, so its first phase is on record.
  await firstScrape;
  for (const phase of scenario(short ? 0.15 : 1)) {
    if (stopping) break;
    process.stdout.write(`phase ${phase.name} ${Date.now()}\n`);
    await runPhase(pool, phase, counts);
  }
  process.stdout.write(`done ${Date.now()} ok=${counts.ok} failed=${counts.failed}\n`);
  // Prometheus takes its last scrapes of the final state before the series go away.
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.METRICS_LINGER_MS ?? 3000)));
  await pool.close();
  await new Promise((resolve) => server.close(resolve));
}

main().catch((err: unknown) => {
  process.stderr.write(`metrics-service: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
