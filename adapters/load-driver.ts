import { createRequire } from 'node:module';
import { DriverMissingError } from '../src/shared/errors';
import { isMissingPackage } from '../src/shared/optional-package';

/**
 * Loads a driver package the first time a URL needs it. Drivers are optional peer dependencies:
 * a service that only talks to PostgreSQL never installs mysql2, and must not pay for it.
 */
export function loadDriver<T>(packageName: string, scheme: string): T {
  try {
    return require(packageName) as T;
  } catch (err) {
    if (isMissingPackage(err, packageName)) throw new DriverMissingError(packageName, scheme, err);
    throw err;
  }
}

/**
 * Loads `packageName` as `owner` resolves it: a driver's own dependency (libsql, which
 * @libsql/client opens files with), so the version is the one the owner was installed with and a
 * strict layout (pnpm) that hides transitive packages still finds it.
 */
export function loadDriverBeside<T>(packageName: string, owner: string, scheme: string): T {
  let ownerRequire: NodeRequire;
  try {
    ownerRequire = createRequire(require.resolve(owner));
  } catch (err) {
    if (isMissingPackage(err, owner)) throw new DriverMissingError(owner, scheme, err);
    throw err;
  }
  try {
    return ownerRequire(packageName) as T;
  } catch (err) {
    if (isMissingPackage(err, packageName)) throw new DriverMissingError(owner, scheme, err);
    throw err;
  }
}
