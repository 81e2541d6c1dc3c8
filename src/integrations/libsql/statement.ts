import type { InArgs, InStatement, InValue } from '@libsql/client';

/** One statement as lifeguard runs it: positional parameters as an array, named ones as an object. */
export interface PoolStatement {
  sql: string;
  params: unknown[] | Record<string, unknown> | undefined;
}

/**
 * Reads any statement form @libsql/client accepts — a string, `{ sql, args }`, or batch's
 * `[sql, args]` — and converts argument values as libsql does before binding them (booleans to
 * 1/0, Dates to milliseconds, ArrayBuffers to bytes; `undefined` is refused), so the same values
 * bind the same way on a libsql pool and on a better-sqlite3 (`sqlite:`) pool. Named arguments
 * lose their `:`/`@`/`$` prefix, which both drivers accept.
 */
export function poolStatement(stmt: InStatement | [string, InArgs?], args?: InArgs): PoolStatement {
  if (typeof stmt === 'string') return { sql: stmt, params: bindArgs(args) };
  if (Array.isArray(stmt)) return { sql: stmt[0], params: bindArgs(stmt[1]) };
  if (stmt === null || typeof stmt !== 'object' || typeof stmt.sql !== 'string') {
    throw new TypeError('A libsql statement is a string or an object { sql: string, args?: [...] | {...} }.');
  }
  return { sql: stmt.sql, params: bindArgs(stmt.args) };
}

function bindArgs(args: InArgs | undefined): PoolStatement['params'] {
  if (args === undefined || args === null) return undefined;
  if (Array.isArray(args)) return args.length === 0 ? undefined : args.map(bindValue);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    named[/^[:@$]/.test(name) ? name.slice(1) : name] = bindValue(value);
  }
  return named;
}

function bindValue(value: InValue): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.valueOf();
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}
