import * as path from 'node:path';
import { ConfigError } from '../src/shared/errors';

export interface SqliteTarget {
  /** The absolute path, or ':memory:'. */
  filename: string;
  inMemory: boolean;
  /** `?mode=ro`: open read-only. */
  readOnly: boolean;
}

/**
 * `sqlite:/abs/path`, `sqlite:///abs/path` and `sqlite://localhost/abs/path` are absolute;
 * `sqlite:relative.db` and `sqlite://relative.db` resolve against the working directory when the
 * pool is created; `sqlite::memory:` is an in-memory database. The absolute path is what the
 * single-writer lane is keyed by, the same way libsql's `file:` URLs are, so a pool of each on one
 * file share one lane.
 */
export function parseSqliteUrl(url: string, cwd = process.cwd()): SqliteTarget {
  const queryAt = url.indexOf('?');
  const base = queryAt >= 0 ? url.slice(0, queryAt) : url;
  const params = new URLSearchParams(queryAt >= 0 ? url.slice(queryAt + 1) : '');
  const mode = params.get('mode');
  if (mode !== null && mode !== 'ro' && mode !== 'rw' && mode !== 'rwc') {
    throw new ConfigError('url', `SQLite URL parameter mode=${JSON.stringify(mode)} is not valid: expected ro, rw or rwc.`);
  }
  let rest = base.replace(/^sqlite:/i, '');
  if (rest.startsWith('//')) rest = rest.slice(2).replace(/^localhost(?=\/)/, '');
  rest = decodeURIComponent(rest);
  if (rest === ':memory:' || rest === '/:memory:') return { filename: ':memory:', inMemory: true, readOnly: mode === 'ro' };
  if (rest === '') throw new ConfigError('url', 'The SQLite URL names no file: expected sqlite:/abs/path, sqlite:relative.db or sqlite::memory:.');
  return { filename: path.resolve(cwd, rest), inMemory: false, readOnly: mode === 'ro' };
}
