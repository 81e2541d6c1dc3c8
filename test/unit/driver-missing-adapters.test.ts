import { createPool } from '../../src';
import { DriverMissingError } from '../../src/errors';

jest.mock('pg', () => {
  throw Object.assign(new Error("Cannot find module 'pg' from 'adapters/postgres.ts'"), { code: 'MODULE_NOT_FOUND' });
});

describe('a server URL whose driver is not installed', () => {
  it.each([
    ['postgres://u@127.0.0.1/db', 'pg'],
    ['postgresql://u@127.0.0.1/db', 'pg'],
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
