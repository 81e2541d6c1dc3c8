import { loadDriver } from '../../../adapters/load-driver';
import { isMissingPackage } from '../../shared/optional-package';

export type PgModule = typeof import('pg');

/**
 * The `pg` PgPool extends. It must be the very copy the application's data layer loads: PrismaPg
 * takes a pool only when `pool instanceof pg.Pool` of its own `pg`, and otherwise builds a second
 * pool from the object's fields without a word. So `pg` is looked up from the application's
 * project (the working directory) first, where the application's own `import pg` and its ORM find
 * it, and only then from lifeguard's own location. In an ordinary install the two are one and the
 * same (pg is a peer dependency); they differ when lifeguard is linked in from elsewhere.
 * A missing pg is the DriverMissingError naming the package, as for a postgres:// URL.
 */
export function loadProjectPg(): PgModule {
  let fromProject: string | undefined;
  try {
    fromProject = require.resolve('pg', { paths: [process.cwd()] });
  } catch (err) {
    if (!isMissingPackage(err, 'pg')) throw err;
  }
  if (fromProject !== undefined) return require(fromProject) as PgModule;
  return loadDriver<PgModule>('pg', 'postgres');
}
