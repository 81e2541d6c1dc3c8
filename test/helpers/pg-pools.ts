/**
 * PgPools for the lifeguard/pg suites: each with a unique name (its application_name on the
 * server, so a test kills only its own backends), test-friendly settings, and closed after each test.
 */
import { Client } from 'pg';
import type { Registry } from 'prom-client';
import { PgPool, type PgPoolOptions } from '../../src/integrations/pg';
import { silentLogger } from '../../src/shared/logger';
import { POSTGRES_URL, uniqueName } from './databases';

const open: PgPool[] = [];

export function testPgPool(options: PgPoolOptions = {}): PgPool {
  const name = uniqueName('lg_pg');
  const pool = new PgPool({
    connectionString: POSTGRES_URL,
    name,
    env: {},
    profile: 'test',
    logger: options.log ? undefined : silentLogger,
    max: 4,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 0,
    evictionIntervalMs: 50,
    ...options,
  });
  open.push(pool);
  return pool;
}

/** Ends every pool testPgPool() made that the test did not end itself; call from afterEach. */
export async function endPgPools(): Promise<void> {
  // A failed test may leave a client checked out: do not wait end()'s 30 s drain for it.
  await Promise.all(open.splice(0).map((pool) => pool.lifeguard.close({ timeoutMs: 500 })));
}

/** The server process behind a checked-out client. */
export async function backendPid(client: { query(sql: string): Promise<{ rows: Array<{ pid: number }> }> }): Promise<number> {
  return (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

/** Terminates one backend from an admin connection of its own, as an operator would. */
export async function terminateBackend(pid: number): Promise<void> {
  const admin = new Client({ connectionString: POSTGRES_URL, application_name: uniqueName('lg_pg_admin') });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

/** Polls until `check` holds, up to a bound generous enough for a loaded machine. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** How many operations db_client_operation_duration_seconds has counted in a registry. */
export async function operationCount(registry: Registry): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'db_client_operation_duration_seconds');
  const values = (metric?.values ?? []) as Array<{ metricName?: string; value: number }>;
  return values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
}
