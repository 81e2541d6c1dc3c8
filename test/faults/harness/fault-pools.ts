/**
 * Pools for the fault tests: each with a unique name that is also its application_name, so the
 * backend killer finds exactly this pool's backends on a shared server, and every pool made here is
 * closed by closeFaultPools() (call it from afterEach) even when the test failed half-way.
 */
import { createPool, type Pool } from '../../../src';
import type { PoolOptions } from '../../../src/config/types';
import { silentLogger } from '../../../src/shared/logger';
import { uniqueName } from '../../helpers/databases';

const open: Pool[] = [];

export function faultPool(url: string, options: PoolOptions = {}): Pool {
  const name = options.name ?? uniqueName('lg_fault');
  const pool = createPool({
    env: {},
    profile: 'test',
    logger: silentLogger,
    min: 0,
    max: 4,
    acquireTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    idleTimeoutMs: 0,
    maxLifetimeMs: 0,
    testOnAcquire: false,
    leakDetectionMs: 0,
    applicationName: name,
    ...options,
    url,
    name,
  });
  open.push(pool);
  return pool;
}

export async function closeFaultPools(): Promise<void> {
  await Promise.all(open.splice(0).map((pool) => pool.close({ timeoutMs: 1000 })));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `check` returns true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
