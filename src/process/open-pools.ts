import type { PoolOptions } from '../config/types';
import { Pool } from '../pool/pool';

/**
 * createPool(), and every pool it made that is not closed yet, so closeAllPools() and the SIGTERM
 * hooks drain them too, not only the named pools of getPool(): a service that calls createPool()
 * and installShutdownHooks() expects its pool drained. Kept on globalThis, like the registry, so the
 * ESM and CommonJS copies of the module see one set.
 */
const OPEN_POOLS_KEY = Symbol.for('lifeguard.openPools');

type GlobalWithOpenPools = typeof globalThis & { [OPEN_POOLS_KEY]?: Set<Pool> };

function openPoolSet(): Set<Pool> {
  const holder = globalThis as GlobalWithOpenPools;
  holder[OPEN_POOLS_KEY] ??= new Set();
  return holder[OPEN_POOLS_KEY];
}

/**
 * A new Pool that closeAllPools() and the shutdown hooks will drain. This is all that sets it apart
 * from `new Pool(options)`, which is why it lives here, in the process room, and not in pool/.
 */
export function createPool(options?: PoolOptions): Pool {
  const pool = new Pool(options);
  trackOpenPool(pool);
  return pool;
}

function trackOpenPool(pool: Pool): void {
  const set = openPoolSet();
  // Closed pools are forgotten here rather than on close, so close() stays free of bookkeeping.
  for (const known of set) if (known.isClosed) set.delete(known);
  set.add(pool);
}

/** Takes every tracked pool out of the set and returns those still open. */
export function takeOpenPools(): Pool[] {
  const set = openPoolSet();
  const open = [...set].filter((pool) => !pool.isClosed);
  set.clear();
  return open;
}
