import { createPool } from '../../src';
import { DriverMissingError } from '../../src/shared/errors';

// jest hoists these above the imports, so each factory stands alone.
jest.mock('pg', () => {
  throw Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' });
});
jest.mock('better-sqlite3', () => {
  throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' });
});
jest.mock('mysql2', () => {
  throw Object.assign(new Error("Cannot find module 'mysql2'"), { code: 'MODULE_NOT_FOUND' });
});

describe('a URL whose driver is not installed', () => {
  it.each([
    ['postgres://u@127.0.0.1/db', 'pg'],
    ['postgresql://u@127.0.0.1/db', 'pg'],
    ['mysql://u@127.0.0.1/db', 'mysql2'],
    ['mariadb://u@127.0.0.1/db', 'mysql2'],
    ['sqlite:/tmp/lifeguard-missing-driver.db', 'better-sqlite3'],
  ])('%s fails createPool() with "npm install %s"', (url, packageName) => {
    let caught: unknown;
    try {
      createPool({ url, env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriverMissingError);
    expect(caught).toMatchObject({ code: 'DRIVER_MISSING', packageName });
    expect((caught as Error).message).toContain(`npm install ${packageName}`);
  });
});
