import { Buffer } from 'node:buffer';

/** How integers come back from an embedded file, as @libsql/client names the modes. */
export type IntMode = 'number' | 'bigint' | 'string';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * The conversions @libsql/client 0.18 makes on an embedded file (its sqlite3.js valueToSql and
 * valueFromSql), made here because the adapter runs statements on the libsql Database itself:
 * a pool moved from @libsql/client's own path to this one sees the same values. One deliberate
 * difference: a BLOB comes back as an ArrayBuffer of exactly its bytes (the client hands on the
 * Buffer's whole backing store).
 */
export function toSqlValue(value: unknown, intMode: IntMode): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INT64 || value > MAX_INT64) throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
    return value;
  }
  if (typeof value === 'boolean') {
    if (intMode === 'bigint') return value ? 1n : 0n;
    if (intMode === 'string') return value ? '1' : '0';
    return value ? 1 : 0;
  }
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

/** One value of a row, read with safeIntegers on (every integer arrives as a bigint). */
export function fromSqlValue(value: unknown, intMode: IntMode): unknown {
  if (typeof value === 'bigint') {
    if (intMode === 'bigint') return value;
    if (intMode === 'string') return String(value);
    if (value < MIN_SAFE || value > MAX_SAFE) throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Buffer) {
    const { buffer, byteOffset, byteLength } = value;
    return byteOffset === 0 && byteLength === buffer.byteLength ? buffer : buffer.slice(byteOffset, byteOffset + byteLength);
  }
  return value;
}

/** Positional arguments converted; named ones with their sigil (`:`, `@`, `$`) dropped, as libsql binds them by bare name. */
export function toSqlArgs(params: readonly unknown[] | Record<string, unknown>, intMode: IntMode): unknown[] | Record<string, unknown> {
  if (Array.isArray(params)) {
    const args = new Array<unknown>(params.length);
    for (let i = 0; i < params.length; i++) args[i] = toSqlValue(params[i], intMode);
    return args;
  }
  const args: Record<string, unknown> = {};
  for (const name of Object.keys(params)) {
    const first = name[0];
    const bare = first === ':' || first === '@' || first === '$' ? name.slice(1) : name;
    args[bare] = toSqlValue((params as Record<string, unknown>)[name], intMode);
  }
  return args;
}

/** Positional parameters (a non-empty array) or named ones (an object). */
export function hasParams(params: unknown): params is readonly unknown[] | Record<string, unknown> {
  if (Array.isArray(params)) return params.length > 0;
  return typeof params === 'object' && params !== null;
}
