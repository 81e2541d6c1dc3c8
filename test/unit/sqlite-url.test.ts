import { parseSqliteUrl } from '../../adapters/sqlite-url';
import { sqlitePragmas } from '../../adapters/sqlite';
import { ConfigError } from '../../src/shared/errors';

describe('sqlite: URLs', () => {
  it.each([
    ['sqlite:/var/data/app.db', '/var/data/app.db'],
    ['sqlite:///var/data/app.db', '/var/data/app.db'],
    ['sqlite://localhost/var/data/app.db', '/var/data/app.db'],
    ['sqlite:app.db', '/srv/app/app.db'],
    ['sqlite:data/app.db', '/srv/app/data/app.db'],
    ['sqlite://app.db', '/srv/app/app.db'],
    ['sqlite:/var/data/my%20app.db', '/var/data/my app.db'],
  ])('%s opens %s', (url, filename) => {
    expect(parseSqliteUrl(url, '/srv/app')).toEqual({ filename, inMemory: false, readOnly: false });
  });

  it('sqlite::memory: is an in-memory database', () => {
    expect(parseSqliteUrl('sqlite::memory:')).toEqual({ filename: ':memory:', inMemory: true, readOnly: false });
  });

  it('?mode=ro opens the file read-only, and an unknown mode is a ConfigError', () => {
    expect(parseSqliteUrl('sqlite:/d/app.db?mode=ro').readOnly).toBe(true);
    expect(() => parseSqliteUrl('sqlite:/d/app.db?mode=write')).toThrow(ConfigError);
  });
});

describe('SQLite pragmas', () => {
  it('default to WAL, synchronous NORMAL, a 5 s busy timeout and enforced foreign keys, WAL first', () => {
    expect(sqlitePragmas(undefined, false)).toEqual([
      ['journal_mode', 'WAL'],
      ['synchronous', 'NORMAL'],
      ['busy_timeout', 5000],
      ['foreign_keys', 'ON'],
    ]);
  });

  it('take cache_size, temp_store and mmap_size when set, and drop a default set to null', () => {
    const pragmas = sqlitePragmas({ cache_size: -20000, temp_store: 'MEMORY', mmap_size: 268435456, foreign_keys: null }, false);
    expect(Object.fromEntries(pragmas)).toEqual({
      journal_mode: 'WAL',
      synchronous: 'NORMAL',
      busy_timeout: 5000,
      cache_size: -20000,
      temp_store: 'MEMORY',
      mmap_size: 268435456,
    });
  });

  it('leave journal_mode alone for an in-memory database', () => {
    expect(sqlitePragmas(undefined, true).map(([name]) => name)).not.toContain('journal_mode');
  });

  it('refuse a value that is not a number or a word, naming the pragma', () => {
    expect(() => sqlitePragmas({ journal_mode: 'WAL; DROP TABLE t' }, false)).toThrow(/adapterOptions|PRAGMA journal_mode/);
    expect(() => sqlitePragmas({ journal_mode: 'WAL; DROP TABLE t' }, false)).toThrow(ConfigError);
  });
});
