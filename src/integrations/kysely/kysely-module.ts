import type * as Kysely from 'kysely';
import { loadOptionalPackage } from '../../shared/optional-package';

/** The parts of kysely the dialect builds, loaded when the first LifeguardDialect is made. */
export type KyselyModule = Pick<
  typeof Kysely,
  | 'PostgresAdapter' | 'PostgresIntrospector' | 'PostgresQueryCompiler'
  | 'MysqlAdapter' | 'MysqlIntrospector' | 'MysqlQueryCompiler'
  | 'SqliteAdapter' | 'SqliteIntrospector' | 'SqliteQueryCompiler'
  | 'RawNode' | 'IdentifierNode' | 'SelectQueryNode' | 'CompiledQuery'
>;

export function kyselyModule(): KyselyModule {
  return loadOptionalPackage<KyselyModule>('kysely', 'lifeguard/kysely');
}
