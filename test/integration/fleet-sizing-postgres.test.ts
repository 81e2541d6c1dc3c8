/**
 * The fleet check against the real local PostgreSQL (max_connections 100): DB_INSTANCES set high
 * enough that max × instances cannot fit, and a logger spy that must see exactly one warning.
 */
import { createPool, type Logger, type Pool } from '../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';

function spyLogger(): Logger & { warnings: { obj: object; msg: string }[] } {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg: msg ?? '' }), error: () => undefined };
}

describePostgres('fleet-aware sizing on PostgreSQL', () => {
  const pools: Pool[] = [];
  const open = (env: Record<string, string>, logger: Logger) => {
    const pool = createPool({ name: uniqueName('fleet'), url: POSTGRES_URL, env, profile: 'test', logger, sslMode: 'disable', max: 4, acquireTimeoutMs: 5000 });
    pools.push(pool);
    return pool;
  };

  afterAll(() => Promise.all(pools.map((pool) => pool.close({ timeoutMs: 2000 }))));

  it('logs one warning when max × DB_INSTANCES would overrun max_connections, and still serves queries', async () => {
    const logger = spyLogger();
    const pool = open({ DB_INSTANCES: '40' }, logger);
    const { rows } = await pool.query<{ max: number }>("SELECT current_setting('max_connections')::int AS max");
    await Promise.all(Array.from({ length: 6 }, () => pool.query('SELECT pg_sleep(0.02)')));
    const fleet = logger.warnings.filter((w) => w.msg.includes('max_connections'));
    expect(fleet).toHaveLength(1);
    const usable = rows[0].max - 3;
    expect(fleet[0].msg).toContain(`max 4 × 40 instances = 160 connections, more than the server allows (max_connections ${rows[0].max} − 3 reserved = ${usable})`);
    expect(fleet[0].obj).toMatchObject({ pool: pool.name, max: 4, instances: 40, serverMaxConnections: rows[0].max, perInstance: Math.floor(usable / 40) });
    expect(pool.stats().counters.created).toBeGreaterThan(1);
  });

  it('stays quiet when the fleet fits', async () => {
    const logger = spyLogger();
    const pool = open({ DB_INSTANCES: '2' }, logger);
    await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT 1')));
    expect(logger.warnings.filter((w) => w.msg.includes('max_connections'))).toEqual([]);
  });
});
