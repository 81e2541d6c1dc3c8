import type { QueryResult } from '../../../adapters/contract';

/** The cell types @libsql/client hands out (its `Value`). */
export type LibsqlValue = null | string | number | bigint | ArrayBuffer;

/** A row as @libsql/client builds one: array-like by index and length, and by column name. */
export interface LibsqlRow {
  length: number;
  [index: number]: LibsqlValue;
  [name: string]: LibsqlValue;
}

/**
 * A ResultSet shaped like @libsql/client's (its ResultSetImpl): the same fields, the same row
 * objects, the same toJSON, so code written against createClient() reads it unchanged.
 */
export class LibsqlResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: LibsqlRow[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON(): unknown {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.prototype.map.call(row, jsonValue)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid !== undefined ? String(this.lastInsertRowid) : null,
    };
  }
}

/**
 * Builds libsql's row object from an array row: indexes and `length` are not enumerable and
 * column names are, and of two columns with one name the first wins — exactly what
 * @libsql/client does, which is what drizzle-orm relies on (it reads joins by index, so two
 * `id` columns stay apart, and raw rows by their enumerable names).
 */
export function libsqlRow(values: readonly unknown[], columns: readonly string[]): LibsqlRow {
  const row = {} as LibsqlRow;
  Object.defineProperty(row, 'length', { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = libsqlValue(values[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i];
    if (column !== undefined && !Object.prototype.hasOwnProperty.call(row, column)) {
      Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
    }
  }
  return row;
}

/** better-sqlite3 returns blobs as Buffers; libsql as ArrayBuffers (a copy, never a shared slab). */
function libsqlValue(value: unknown): LibsqlValue {
  if (Buffer.isBuffer(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  return value as LibsqlValue;
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return String(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64');
  return value;
}

/**
 * lifeguard's result (rows as arrays) as libsql's ResultSet. rowsAffected and lastInsertRowid are
 * reported for statements that change rows, as libsql does; a statement that returns rows (a
 * SELECT) reports rowsAffected 0 and no lastInsertRowid. `INSERT ... RETURNING` reports the rows
 * it changed, as a remote libsql server does.
 */
export function toResultSet(result: QueryResult<unknown[]>, changesRows: boolean): LibsqlResultSet {
  const columns = result.columns ?? [];
  const rows = result.rows.map((values) => libsqlRow(values, columns));
  const rowsAffected = changesRows ? result.rowCount : 0;
  const lastInsertRowid = changesRows && result.lastInsertId !== undefined ? BigInt(result.lastInsertId) : undefined;
  return new LibsqlResultSet(columns, result.columnTypes ?? columns.map(() => ''), rows, rowsAffected, lastInsertRowid);
}
