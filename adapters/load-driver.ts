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
