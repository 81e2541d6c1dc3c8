import { createPool } from '../../src';
import { DriverMissingError } from '../../src/shared/errors';
import { loadDriver } from '../../adapters/load-driver';

jest.mock('@libsql/client', () => {
  throw Object.assign(new Error("Cannot find module '@libsql/client' from 'adapters/libsql.ts'"), { code: 'MODULE_NOT_FOUND' });
});

describe('a URL whose driver is not installed', () => {
  it('fails createPool() at once with the package to install', () => {
    let caught: unknown;
    try {
      createPool({ url: 'file:missing-driver.db', env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriverMissingError);
    expect(caught).toMatchObject({ code: 'DRIVER_MISSING', packageName: '@libsql/client' });
    expect((caught as Error).message).toContain('npm install @libsql/client');
  });

  it('names the package for any driver loadDriver cannot find', () => {
    expect(() => loadDriver('lifeguard-no-such-driver', 'nosuch')).toThrow(/npm install lifeguard-no-such-driver/);
  });

  it('does not hide other errors a driver throws while loading', () => {
    jest.isolateModules(() => {
      jest.doMock('lifeguard-broken-driver', () => {
        throw new Error('native binding failed');
      }, { virtual: true });
      expect(() => loadDriver('lifeguard-broken-driver', 'x')).toThrow('native binding failed');
    });
  });
});
