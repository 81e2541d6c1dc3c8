import type { AdapterQueryOptions } from '../../../adapters/contract';

/**
 * The adapter options of one pool.query statement (never a lease's): constants, so the hot path
 * allocates none. `prepare` marks a parameterized statement in autocommit, which the adapter may
 * keep prepared on the connection (preparedStatements; PostgreSQL names it).
 */
const PREPARED: AdapterQueryOptions = Object.freeze({ prepare: true });
const PREPARED_ARRAYS: AdapterQueryOptions = Object.freeze({ prepare: true, rowMode: 'array' });
const ARRAYS: AdapterQueryOptions = Object.freeze({ rowMode: 'array' });

export function autocommitOptions(preparing: boolean, params: readonly unknown[] | undefined, rowMode: 'array' | undefined): AdapterQueryOptions | undefined {
  const prepare = preparing && params !== undefined && params.length > 0;
  if (rowMode === 'array') return prepare ? PREPARED_ARRAYS : ARRAYS;
  return prepare ? PREPARED : undefined;
}
