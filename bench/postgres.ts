/**
 * PostgreSQL: `SELECT 1` and a primary-key read of one small row, at 1, 16, 64 and 256 callers
 * over max 10 connections. lifeguard with production defaults against pg.Pool, knex and the
 * no-pool limit (ten pg.Clients, caller k always on client k mod 10: what a pool can at best approach).
 */
import knex, { type Knex } from 'knex';
import { Client, Pool as PgPool } from 'pg';
import type { Candidate, Plan } from './harness';
import { skipLine } from './harness';
import { INDEXED_ROWS, LIFEGUARD, lifeguardCandidate, randomRowId, runServerSuite, SERVER_MAX, type CandidateFactory, type Statement } from './server-suite';
import { hasAdapter, PRODUCTION_NOTE, POSTGRES_URL, reachable, uniqueName } from './servers';

export const PG_POOL = 'pg.Pool';
export const NO_POOL = 'no pool (10 dedicated clients)';

export async function benchPostgres(plan: Plan): Promise<void> {
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine('PostgreSQL', `${POSTGRES_URL} is not reachable`);
  const table = uniqueName('lg_bench_rows');
  const admin = new Client({ connectionString: POSTGRES_URL, application_name: uniqueName('lg_bench_admin') });
  await admin.connect();
  try {
    await admin.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, score integer NOT NULL)`);
    await admin.query(`INSERT INTO ${table} SELECT g, 'row ' || g, g % 97 FROM generate_series(1, ${INDEXED_ROWS}) AS g`);
    await admin.query(`ANALYZE ${table}`);
    const statements: Statement[] = [
      { label: 'SELECT 1', sql: 'SELECT 1' },
      { label: 'one indexed row', sql: `SELECT id, name, score FROM ${table} WHERE id = $1`, params: () => [randomRowId()] },
    ];
    const factories = [noPoolCandidate, pgPoolCandidate, knexCandidate];
    if (await hasAdapter(POSTGRES_URL)) factories.unshift(lifeguardCandidate(POSTGRES_URL));
    else console.log('\n(lifeguard has no postgres adapter in this build: its rows are left out)');
    console.log(`\nlifeguard: ${PRODUCTION_NOTE}`);
    await runServerSuite('PostgreSQL', statements, factories, PG_POOL, [
      { candidate: LIFEGUARD, anchor: PG_POOL, callers: 64, atLeast: 1.15 },
      { candidate: LIFEGUARD, anchor: NO_POOL, callers: 64, atLeast: 0.9 },
    ], plan);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
  }
}

const pgPoolCandidate: CandidateFactory = (statement) => {
  let pool: PgPool | undefined;
  return {
    name: PG_POOL,
    setup: async () => {
      pool = new PgPool({ connectionString: POSTGRES_URL, max: SERVER_MAX, application_name: uniqueName('lg_bench_pgpool') });
      pool.on('error', () => undefined);
    },
    op: () => pool!.query(statement.sql, statement.params?.()),
    teardown: () => pool!.end(),
  };
};

const knexCandidate: CandidateFactory = (statement) => {
  let db: Knex | undefined;
  // knex writes placeholders as `?` and turns them into `$n` itself.
  const sql = statement.sql.replace(/\$\d+/g, '?');
  return {
    name: 'knex',
    setup: async () => {
      db = knex({
        client: 'pg',
        connection: { connectionString: POSTGRES_URL, application_name: uniqueName('lg_bench_knex') },
        pool: { min: 0, max: SERVER_MAX },
      });
    },
    op: () => (statement.params ? db!.raw(sql, statement.params() as Knex.RawBinding[]) : db!.raw(sql)),
    teardown: () => db!.destroy(),
  };
};

const noPoolCandidate: CandidateFactory = (statement): Candidate => {
  let clients: Client[] = [];
  return {
    name: NO_POOL,
    setup: async () => {
      // pg 8 warns once that a client queueing queries is deprecated; that queue is exactly the
      // no-pool limit measured here (the next query goes out with no hand-off), so the warning goes.
      process.noDeprecation = true;
      const name = uniqueName('lg_bench_nopool');
      clients = Array.from({ length: SERVER_MAX }, () => new Client({ connectionString: POSTGRES_URL, application_name: name }));
      for (const client of clients) client.on('error', () => undefined);
      await Promise.all(clients.map((client) => client.connect()));
    },
    // pg.Client queues queries itself: several callers on one client take turns on it.
    op: (caller) => clients[caller % SERVER_MAX].query(statement.sql, statement.params?.()),
    teardown: async () => {
      await Promise.all(clients.map((client) => client.end()));
    },
  };
};
