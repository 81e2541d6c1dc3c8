import type { Pool } from './pool';
import type { PoolStats } from './stats';

const cache = new Map<Pool, PoolStats>();
let clearing = false;

/**
 * pool.stats(), computed once per scrape rather than once per metric: a scrape collects every
 * gauge in one synchronous pass, so the snapshot is kept until the current task's microtasks run
 * and then forgotten. Values are therefore always live: no later scrape ever sees this one's.
 */
export function liveStats(pool: Pool): PoolStats {
  let stats = cache.get(pool);
  if (stats === undefined) {
    stats = pool.stats();
    cache.set(pool, stats);
    if (!clearing) {
      clearing = true;
      queueMicrotask(() => {
        cache.clear();
        clearing = false;
      });
    }
  }
  return stats;
}
