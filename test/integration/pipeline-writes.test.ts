/**
 * How pipelined statements reach the socket (issue 16, the 1-caller case). Behind other statements
 * in flight, the writes of one turn are corked into one write; the only statement in flight goes
 * out at once. Corked to the end of the turn, a lone caller's write waited behind the caller's
 * remaining work and its answer more often found the process asleep: 0.79× pg.Pool at 1 caller.
 * Observed on the real server through pg's own socket: whether it is corked right after pg was
 * handed the statement.
 */
import { Client } from 'pg';
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { POSTGRES_URL, describePostgres, uniqueName } from '../helpers/databases';

type Corked = { connection?: { stream?: { writableCorked?: number } } };

describePostgres('pipelined writes on PostgreSQL', () => {
  let pool: Pool;
  const corkedAtSend: number[] = [];
  const originalQuery = Client.prototype.query;

  beforeAll(() => {
    // Records, for each statement pg is handed, whether its socket is corked at that moment.
    (Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: Client, ...args: unknown[]) {
      const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
      corkedAtSend.push((this as unknown as Corked).connection?.stream?.writableCorked ?? -1);
      return result;
    };
  });
  afterAll(async () => {
    Client.prototype.query = originalQuery;
    await pool?.close();
  });

  it('writes the only statement in flight at once, and corks the ones sent behind it', async () => {
    pool = createPool({ url: POSTGRES_URL, name: uniqueName('pipewrite'), env: {}, profile: 'test', logger: silentLogger, max: 1, min: 1, sslMode: 'disable', pipelineDepth: 16 });
    // Taught that the statement is short, so the pipeline takes it (a first run may be slow).
    for (let i = 0; i < 10; i++) await pool.query('SELECT 1 AS one');
    const sentBefore = pool.stats().pipeline?.sent ?? 0;

    corkedAtSend.length = 0;
    await pool.query('SELECT 1 AS one');
    expect(pool.stats().pipeline?.sent).toBe(sentBefore + 1);
    expect(corkedAtSend).toEqual([0]);

    corkedAtSend.length = 0;
    await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT 1 AS one')));
    expect(pool.stats().pipeline?.sent).toBe(sentBefore + 5);
    // The first goes out at once; the three sent behind it in the same turn share one corked write.
    expect(corkedAtSend[0]).toBe(0);
    expect(corkedAtSend.slice(1).every((corked) => corked > 0)).toBe(true);
  });
});
