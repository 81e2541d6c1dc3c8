import { createPool, type Pool } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { silentLogger } from '../../src/shared/logger';
import { fakeDatabase, type FakeDatabase } from './fake-adapter';

const open: Pool[] = [];

/**
 * A pool over a fresh fake database, with test-friendly settings that each test overrides.
 * `prepare` sets the database up before the pool exists: a pool with min > 0 connects at once,
 * so a failure set after createPool would come too late for those first connections.
 */
export function fakePool(options: PoolOptions = {}, prepare?: (db: FakeDatabase) => void): { pool: Pool; db: FakeDatabase } {
  const { db, url } = fakeDatabase();
  prepare?.(db);
  const pool = createPool({
    url,
    env: {},
    profile: 'test',
    logger: silentLogger,
    min: 0,
    max: 4,
    acquireTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    idleTimeoutMs: 0,
    maxLifetimeMs: 0,
    testOnAcquire: false,
    evictionIntervalMs: 100,
    leakDetectionMs: 0,
    ...options,
  });
  open.push(pool);
  return { pool, db };
}

/** Closes every pool fakePool() made; call from afterEach. */
export async function closeFakePools(): Promise<void> {
  await Promise.all(open.splice(0).map((pool) => pool.close({ timeoutMs: 50 })));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Lets pending promise callbacks and immediate timers run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
