/**
 * The shape shared by the PostgreSQL and MariaDB benchmarks: a few statements, each measured at
 * several concurrencies over max 10 connections, lifeguard against the driver's own pool, knex and
 * the no-pool limit, with the targets checked on the printed medians.
 */
import type { Pool, PoolOptions } from '../src';
import { compare, type Candidate, type Comparison, type Plan } from './harness';
import { report, type Target } from './report';
import { productionPool, uniqueName } from './servers';

export const SERVER_MAX = 10;
export const SERVER_CONCURRENCIES = [1, 16, 64, 256];
export const INDEXED_ROWS = 10_000;

/** One statement to measure; `params` is called per query so each reads a different row. */
export interface Statement {
  label: string;
  sql: string;
  params?: () => unknown[];
}

/** A bench candidate for one statement, or undefined when it cannot run in this build. */
export type CandidateFactory = (statement: Statement) => Candidate | undefined;

/** lifeguard's row in every server table. */
export const LIFEGUARD = 'lifeguard (production defaults)';

/** lifeguard over `url` with its production defaults (plus `options`) and metrics on, opened only for its own measurement. */
export const lifeguardCandidate =
  (url: string, name = LIFEGUARD, options: PoolOptions = {}): CandidateFactory =>
  (statement) => {
    let pool: Pool | undefined;
    return {
      name,
      setup: async () => {
        pool = await productionPool(url, uniqueName('lg_bench_lifeguard'), SERVER_MAX, options);
      },
      op: () => pool!.query(statement.sql, statement.params?.()),
      teardown: () => pool!.close(),
    };
  };

export const randomRowId = () => 1 + Math.floor(Math.random() * INDEXED_ROWS);

export async function runServerSuite(
  title: string,
  statements: Statement[],
  factories: CandidateFactory[],
  anchor: string,
  targets: Target[],
  plan: Plan,
): Promise<Map<string, Comparison>> {
  const results = new Map<string, Comparison>();
  for (const statement of statements) {
    const candidates = factories.map((make) => make(statement)).filter((c): c is Candidate => c !== undefined);
    const comparison = await compare(candidates, SERVER_CONCURRENCIES, plan, { isolate: true });
    report({ title: `${title}: ${statement.label}, max ${SERVER_MAX}, queries/s`, anchor, targets }, comparison);
    results.set(statement.label, comparison);
  }
  return results;
}
