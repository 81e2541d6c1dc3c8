/**
 * MariaDB/MySQL: the PostgreSQL benchmark's statements against mysql2's own pool, knex and the
 * no-pool limit (ten mysql2 connections, caller k always on connection k mod 10).
 */
import knex, { type Knex } from 'knex';
import * as mysql from 'mysql2/promise';
import { skipLine, type Candidate, type Plan } from './harness';
import { INDEXED_ROWS, LIFEGUARD, lifeguardCandidate, randomRowId, runServerSuite, SERVER_MAX, type CandidateFactory, type Statement } from './server-suite';
import { hasAdapter, PRODUCTION_NOTE, MYSQL_URL, reachable, uniqueName } from './servers';

const MYSQL2_POOL = 'mysql2 pool';
const NO_POOL = 'no pool (10 dedicated connections)';

export async function benchMysql(plan: Plan): Promise<void> {
  if (!(await reachable(MYSQL_URL, 3306))) return skipLine('MariaDB', `${MYSQL_URL} is not reachable`);
  const table = uniqueName('lg_bench_rows');
  const admin = await mysql.createConnection({ uri: MYSQL_URL });
  try {
    await admin.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, score INT NOT NULL)`);
    for (let from = 1; from <= INDEXED_ROWS; from += 1000) {
      const rows = Array.from({ length: 1000 }, (_, i) => [from + i, `row ${from + i}`, (from + i) % 97]);
      await admin.query(`INSERT INTO ${table} (id, name, score) VALUES ?`, [rows]);
    }
    const statements: Statement[] = [
      { label: 'SELECT 1', sql: 'SELECT 1' },
      { label: 'one indexed row', sql: `SELECT id, name, score FROM ${table} WHERE id = ?`, params: () => [randomRowId()] },
    ];
    const factories = [noPoolCandidate, mysql2PoolCandidate, knexCandidate];
    if (await hasAdapter(MYSQL_URL)) factories.unshift(lifeguardCandidate(MYSQL_URL));
    else console.log('\n(lifeguard has no mysql adapter in this build: its rows are left out)');
    console.log(`\nlifeguard: ${PRODUCTION_NOTE}`);
    await runServerSuite('MariaDB', statements, factories, MYSQL2_POOL, [{ candidate: LIFEGUARD, anchor: MYSQL2_POOL, callers: 64, atLeast: 1.1 }], plan);
  } finally {
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
  }
}

const mysql2PoolCandidate: CandidateFactory = (statement) => {
  let pool: mysql.Pool | undefined;
  return {
    name: MYSQL2_POOL,
    setup: async () => {
      pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: SERVER_MAX });
    },
    op: () => pool!.query(statement.sql, statement.params?.()),
    teardown: () => pool!.end(),
  };
};

const knexCandidate: CandidateFactory = (statement) => {
  let db: Knex | undefined;
  return {
    name: 'knex',
    setup: async () => {
      db = knex({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: SERVER_MAX } });
    },
    op: () => (statement.params ? db!.raw(statement.sql, statement.params() as Knex.RawBinding[]) : db!.raw(statement.sql)),
    teardown: () => db!.destroy(),
  };
};

const noPoolCandidate: CandidateFactory = (statement): Candidate => {
  let connections: mysql.Connection[] = [];
  return {
    name: NO_POOL,
    setup: async () => {
      connections = await Promise.all(Array.from({ length: SERVER_MAX }, () => mysql.createConnection({ uri: MYSQL_URL })));
    },
    // mysql2 queues commands on a connection: several callers on one connection take turns on it.
    op: (caller) => connections[caller % SERVER_MAX].query(statement.sql, statement.params?.()),
    teardown: async () => {
      await Promise.all(connections.map((connection) => connection.end()));
    },
  };
};
