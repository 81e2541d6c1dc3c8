import { PackageMissingError } from './errors';

/**
 * Loads an optional peer package the first time a feature needs it (prom-client for
 * registerPoolMetrics, @opentelemetry/api for registerPoolOtelMetrics): a service that does not
 * use the feature never installs the package and never pays for loading it.
 * `load` exists so tests can stand in for a missing package.
 */
export function loadOptionalPackage<T>(packageName: string, feature: string, load: (name: string) => unknown = require): T {
  try {
    return load(packageName) as T;
  } catch (err) {
    if (isMissingPackage(err, packageName)) throw new PackageMissingError(packageName, feature, err);
    throw err;
  }
}

/** True when loading failed because the package itself is not installed, not because it broke while loading. */
export function isMissingPackage(err: unknown, packageName: string): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(packageName);
}
