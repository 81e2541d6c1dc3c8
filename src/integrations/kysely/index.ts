/**
 * `lifeguard/kysely`: a Kysely Dialect over any lifeguard pool (postgres, mysql, libsql, sqlite).
 * Kysely's own adapter, introspector and query compiler for the pool's database; statements and
 * transactions through the pool, so the writer lane, metrics, slow-query and leak reports and the
 * transaction rules (bounded BEGIN/COMMIT, outcome unknown; retries when asked, retryTransaction) apply to Kysely.
 */
import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely';
import type { Pool } from '../../pool/pool';
import { kyselyModule, type KyselyModule } from './kysely-module';
import { LifeguardKyselyDriver } from './driver';

export { retryTransaction, type RetryTransactionOptions } from './retry';

export interface LifeguardDialectConfig {
  pool: Pool;
}

type Family = 'postgres' | 'mysql' | 'sqlite';

const FAMILIES: Record<string, Family> = { postgres: 'postgres', mysql: 'mysql', sqlite: 'sqlite', libsql: 'sqlite' };

export class LifeguardDialect implements Dialect {
  readonly #pool: Pool;
  readonly #family: Family;
  readonly #kysely: KyselyModule;

  constructor(config: LifeguardDialectConfig) {
    const family = FAMILIES[config.pool.adapter.name];
    if (family === undefined) {
      throw new TypeError(`LifeguardDialect knows postgres, mysql, libsql and sqlite pools; pool "${config.pool.name}" is a ${config.pool.adapter.name} pool.`);
    }
    this.#pool = config.pool;
    this.#family = family;
    this.#kysely = kyselyModule();
  }

  createDriver(): Driver {
    return new LifeguardKyselyDriver(this.#pool, this.#family, this.#kysely);
  }

  createQueryCompiler(): QueryCompiler {
    const k = this.#kysely;
    if (this.#family === 'postgres') return new k.PostgresQueryCompiler();
    if (this.#family === 'mysql') return new k.MysqlQueryCompiler();
    return new k.SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    const k = this.#kysely;
    if (this.#family === 'postgres') return new k.PostgresAdapter();
    if (this.#family === 'mysql') return new k.MysqlAdapter();
    return new k.SqliteAdapter();
  }

  // Kysely's own signature: the introspector takes any Kysely instance.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    const k = this.#kysely;
    if (this.#family === 'postgres') return new k.PostgresIntrospector(db);
    if (this.#family === 'mysql') return new k.MysqlIntrospector(db);
    return new k.SqliteIntrospector(db);
  }
}
