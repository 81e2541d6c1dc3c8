/**
 * What package.json promises: generic-pool pinned to the exact version whose internals
 * src/pool/engine/generic-pool-engine.ts compensates, and the four drivers optional peer dependencies, never installed
 * with lifeguard itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const DRIVERS = ['@libsql/client', 'pg', 'mysql2', 'better-sqlite3'];

describe('package.json', () => {
  it('pins generic-pool to exactly 3.9.0, the version whose defects the engine compensates, and installs that one', () => {
    expect(manifest.dependencies['generic-pool']).toBe('3.9.0');
    const installed = JSON.parse(readFileSync(join(root, 'node_modules/generic-pool/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe('3.9.0');
  });

  it('depends on eventemitter3', () => {
    expect(manifest.dependencies.eventemitter3).toBeDefined();
  });

  it.each(DRIVERS)('makes %s an optional peer dependency, not a dependency', (driver) => {
    expect(manifest.dependencies[driver]).toBeUndefined();
    expect(manifest.peerDependencies[driver]).toBeDefined();
    expect(manifest.peerDependenciesMeta[driver]?.optional).toBe(true);
  });
});
