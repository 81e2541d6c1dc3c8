/**
 * What stats() costs with full sample windows (1024 waits, queries and uses, 256 connects), the
 * call a health check, a scrape of stats or an admin page makes. Run:
 * npm run build && node dist/bench/stats-cost.js
 */
import { createPool, registerAdapter, silentLogger, type Adapter } from '../src';
import { noopAdapter } from './noop-adapter';

const noopStats = noopAdapter('noop-stats');

async function main(): Promise<void> {
  registerAdapter('noopstats', () => noopStats as Adapter<unknown>);
  const pool = createPool({ name: 'stats-cost', url: 'noopstats://x', env: {}, profile: 'production', max: 10, logger: silentLogger });
  for (let i = 0; i < 5000; i++) await pool.query('select 1');
  for (let i = 0; i < 200; i++) pool.stats();
  const calls = 2000;
  const started = performance.now();
  for (let i = 0; i < calls; i++) pool.stats();
  console.log(`stats() with full windows: ${(((performance.now() - started) / calls) * 1000).toFixed(0)} µs per call (${calls} calls)`);
  await pool.close();
}

void main();
