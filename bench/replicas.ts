/**
 * What read routing costs: `SELECT 1` through `pool.query` on the primary pool against
 * `pool.reader().query` on a replica pool, both pools on the same local PostgreSQL and of the same
 * size, so the difference is the router (least-busy choice, the down-signal, the bookkeeping), not
 * the server. Anchor: the primary path.
 */
import { createPool, type Pool } from '../src';
import { silentLogger } from '../src/shared/logger';
import { compare, printTable, skipLine, type Candidate, type Plan } from './harness';
import { POSTGRES_URL, reachable, uniqueName } from './servers';

const MAX = 10;
const CONCURRENCIES = [1, 16, 64];
export const PRIMARY_PATH = 'pool.query (primary)';
export const READER_PATH = 'pool.reader().query (replica pool)';

function routed(name: string, run: (pool: Pool) => Promise<unknown>): Candidate {
  let pool: Pool | undefined;
  return {
    name,
    setup: async () => {
      pool = createPool({
        url: POSTGRES_URL,
        readReplicaUrls: [POSTGRES_URL],
        env: {},
        name: uniqueName('lg_bench_replicas'),
        profile: 'production',
        max: MAX,
        min: 0,
        sslMode: 'disable',
        logger: silentLogger,
      });
      await pool.warmup();
    },
    op: () => run(pool!),
    teardown: () => pool!.close(),
  };
}

export async function benchReplicas(plan: Plan): Promise<void> {
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine('Read replicas', `${POSTGRES_URL} is not reachable`);
  const candidates = [routed(PRIMARY_PATH, (pool) => pool.query('SELECT 1')), routed(READER_PATH, (pool) => pool.reader().query('SELECT 1'))];
  const comparison = await compare(candidates, CONCURRENCIES, plan, { isolate: true });
  printTable(`Read routing on PostgreSQL: SELECT 1, max ${MAX} per pool, ops/s (ratio to the primary path)`, comparison, PRIMARY_PATH);
}
