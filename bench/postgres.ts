/**
 * PostgreSQL: `SELECT 1` and a primary-key read of one small row, at 1, 16, 64 and 256 callers
 * over max 10 connections, all in one run: lifeguard with its defaults (pool.query pipelined) and
 * with pipelining off, pg.Pool, ten plain pg.Clients (caller k always on client k mod 10, the
 * limit of one statement per connection), two raw pg.Clients in pg's pipeline mode (the limit
 * with pipelining: no pool at all) and postgres.js, the fast alternative a user would pick.
 */
import postgres from 'postgres';
import { Client, Pool as PgPool } from 'pg';
import type { Candidate, Plan } from './harness';
import { compare, skipLine } from './harness';
import { report } from './report';
import { INDEXED_ROWS, LIFEGUARD, lifeguardCandidate, randomRowId, runServerSuite, SERVER_MAX, type CandidateFactory, type Statement } from './server-suite';
import { hasAdapter, PRODUCTION_NOTE, POSTGRES_URL, reachable, uniqueName } from './servers';

export const PG_POOL = 'pg.Pool';
export const NO_POOL = 'ten plain pg.Clients';
export const RAW_PIPELINED = 'two pipelined pg.Clients (no pool)';
export const POSTGRES_JS = 'postgres.js (max 10)';
export const LIFEGUARD_OFF = 'lifeguard (pipelining off)';

export async function benchPostgres(plan: Plan): Promise<void> {
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine('PostgreSQL', `${POSTGRES_URL} is not reachable`);
  await withIndexedTable('lg_bench_rows', async (statements) => {
    const factories = [noPoolCandidate, pgPoolCandidate, rawPipelinedCandidate, postgresJsCandidate];
    if (await hasAdapter(POSTGRES_URL)) factories.unshift(lifeguardCandidate(POSTGRES_URL), lifeguardCandidate(POSTGRES_URL, LIFEGUARD_OFF, { pipelineDepth: 0 }));
    else console.log('\n(lifeguard has no postgres adapter in this build: its rows are left out)');
    console.log(`\nlifeguard: ${PRODUCTION_NOTE}; defaults: pipelineDepth 16`);
    await runServerSuite(
      'PostgreSQL',
      statements,
      factories,
      PG_POOL,
      [
        { candidate: LIFEGUARD, anchor: PG_POOL, callers: 64, atLeast: 2.5 },
        { candidate: LIFEGUARD, anchor: POSTGRES_JS, callers: 64, atLeast: 2 },
        { candidate: LIFEGUARD, anchor: RAW_PIPELINED, callers: 64, atLeast: 0.8 },
        { candidate: LIFEGUARD, anchor: PG_POOL, callers: 1, atLeast: 1 },
        { candidate: LIFEGUARD, anchor: PG_POOL, callers: 16, atLeast: 1 },
        { candidate: LIFEGUARD_OFF, anchor: PG_POOL, callers: 64, atLeast: 1, on: 'cpu' },
      ],
      plan,
    );
  });
}

/**
 * One caller, measured finely: a latency-bound loop whose 700 ms windows on a fresh pool moved 2×
 * between adjacent windows of the same candidate here, so the main table's 1-caller cell (3 windows)
 * cannot resolve a few per cent. Here the candidates stay open together (5 of them, at most 14
 * connections on the server) and are alternated in many short rounds, so drift hits all alike; each
 * cell is the median of its rounds. `--only postgres-1caller`.
 */
export async function benchPostgresOneCaller(plan: Plan): Promise<void> {
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine('PostgreSQL', `${POSTGRES_URL} is not reachable`);
  if (!(await hasAdapter(POSTGRES_URL))) return skipLine('PostgreSQL, 1 caller', 'lifeguard has no postgres adapter in this build');
  await withIndexedTable('lg_bench_rows1', async (statements) => {
    const factories = [lifeguardCandidate(POSTGRES_URL), lifeguardCandidate(POSTGRES_URL, LIFEGUARD_OFF, { pipelineDepth: 0 }), pgPoolCandidate, rawPipelinedCandidate, postgresJsCandidate];
    const fine: Plan = plan.smoke ? plan : { ...plan, rounds: 40, roundMs: 150, warmupMs: 300 };
    console.log(`\nlifeguard: ${PRODUCTION_NOTE}; ${fine.rounds} alternated rounds of ${fine.roundMs} ms, all candidates open at once`);
    for (const statement of statements) {
      const candidates = factories.map((make) => make(statement)).filter((c): c is Candidate => c !== undefined);
      const comparison = await compare(candidates, [1], fine);
      report(
        {
          title: `PostgreSQL, 1 caller, alternated finely: ${statement.label}, max ${SERVER_MAX}, queries/s`,
          anchor: PG_POOL,
          targets: [
            { candidate: LIFEGUARD, anchor: PG_POOL, callers: 1, atLeast: 1 },
            { candidate: LIFEGUARD_OFF, anchor: PG_POOL, callers: 1, atLeast: 1, on: 'cpu' },
          ],
        },
        comparison,
      );
    }
  });
}

/** SELECT 1 and an indexed single-row read, over a table of INDEXED_ROWS made for the run and dropped after it. */
async function withIndexedTable(prefix: string, run: (statements: Statement[]) => Promise<void>): Promise<void> {
  const table = uniqueName(prefix);
  const admin = new Client({ connectionString: POSTGRES_URL, application_name: uniqueName('lg_bench_admin') });
  await admin.connect();
  try {
    await admin.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, score integer NOT NULL)`);
    await admin.query(`INSERT INTO ${table} SELECT g, 'row ' || g, g % 97 FROM generate_series(1, ${INDEXED_ROWS}) AS g`);
    await admin.query(`ANALYZE ${table}`);
    await run([
      { label: 'SELECT 1', sql: 'SELECT 1' },
      { label: 'one indexed row', sql: `SELECT id, name, score FROM ${table} WHERE id = $1`, params: () => [randomRowId()] },
    ]);
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

/** As a user writes postgres.js: tagged templates, which prepare each statement (prepare: true). */
const postgresJsCandidate: CandidateFactory = (statement) => {
  let sql: postgres.Sql | undefined;
  return {
    name: POSTGRES_JS,
    setup: async () => {
      sql = postgres(POSTGRES_URL, { max: SERVER_MAX, prepare: true, onnotice: () => undefined, connection: { application_name: uniqueName('lg_bench_postgresjs') } });
      await sql`SELECT 1`;
    },
    op: () => sql!.unsafe(statement.sql, (statement.params?.() ?? []) as postgres.ParameterOrJSON<never>[], { prepare: true }),
    teardown: () => sql!.end(),
  };
};

const noPoolCandidate: CandidateFactory = (statement) => fixedClients(NO_POOL, SERVER_MAX, false, 'lg_bench_nopool', statement);
const rawPipelinedCandidate: CandidateFactory = (statement) => fixedClients(RAW_PIPELINED, 2, true, 'lg_bench_pipelined', statement);

/** `count` clients, caller k always on client k mod count (pg queues the rest on each client, or pipelines them). */
function fixedClients(name: string, count: number, pipeline: boolean, prefix: string, statement: Statement): Candidate {
  let clients: Client[] = [];
  return {
    name,
    setup: async () => {
      // pg 8 warns once that a plain client queueing queries is deprecated; that queue is exactly
      // the no-pool limit measured here (the next query goes out with no hand-off), so the warning goes.
      process.noDeprecation = true;
      const applicationName = uniqueName(prefix);
      clients = Array.from({ length: count }, () => new Client({ connectionString: POSTGRES_URL, application_name: applicationName, pipeline }));
      for (const client of clients) client.on('error', () => undefined);
      await Promise.all(clients.map((client) => client.connect()));
    },
    op: (caller) => clients[caller % count].query(statement.sql, statement.params?.()),
    teardown: async () => {
      await Promise.all(clients.map((client) => client.end()));
    },
  };
}
