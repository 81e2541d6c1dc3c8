import type { CompiledQuery, QueryResult as KyselyResult } from 'kysely';
import type { Connection as MysqlConnection } from 'mysql2';
import type { PooledConnection } from '../../pool/lease';
import type { KyselyModule } from './kysely-module';

/**
 * Kysely's streamQuery where the driver streams: mysql2's row stream, better-sqlite3's
 * statement iterator. A stream left before its end closes its connection: its unread rows would
 * otherwise arrive in the next caller's answer. @libsql/client and pg (without pg-cursor) have no
 * streaming API: those pools say so instead of reading everything at once behind Kysely's back.
 */
export async function* streamRows<R>(lease: PooledConnection, adapterName: string, compiled: CompiledQuery, chunkSize: number, kysely: KyselyModule): AsyncIterableIterator<KyselyResult<R>> {
  if (adapterName === 'sqlite' && !kysely.SelectQueryNode.is(compiled.query)) {
    throw new Error('Sqlite driver only supports streaming of select queries');
  }
  if (adapterName !== 'mysql' && adapterName !== 'sqlite') {
    throw new Error(`streamQuery() is not supported on a ${adapterName} pool: its driver has no streaming API. Page through the rows with limit/offset or keyset pagination instead.`);
  }
  // Rows come straight from the lease's own driver connection: the lease is Kysely's alone for the
  // stream, but the stream is not yet timed as one lifeguard operation (each chunk is not a query).
  const rows = adapterName === 'mysql' ? mysqlRows<R>(lease.raw as MysqlConnection, compiled) : sqliteRows<R>(lease.raw as SqliteDatabase, compiled);
  let ended = false;
  try {
    let chunk: R[] = [];
    for await (const row of rows) {
      chunk.push(row);
      if (chunk.length >= chunkSize) {
        yield { rows: chunk };
        chunk = [];
      }
    }
    if (chunk.length > 0) yield { rows: chunk };
    ended = true;
  } finally {
    if (!ended) await lease.destroy(new Error('stream closed before its end')).catch(() => undefined);
  }
}

interface SqliteDatabase {
  prepare(sql: string): { iterate(...params: unknown[]): IterableIterator<unknown> };
}

async function* sqliteRows<R>(db: SqliteDatabase, compiled: CompiledQuery): AsyncIterableIterator<R> {
  const iterator = db.prepare(compiled.sql).iterate(...(compiled.parameters as unknown[]));
  try {
    for (const row of iterator) yield row as R;
  } finally {
    iterator.return?.();
  }
}

async function* mysqlRows<R>(conn: MysqlConnection, compiled: CompiledQuery): AsyncIterableIterator<R> {
  const stream = conn.query(compiled.sql, compiled.parameters as unknown[]).stream({ objectMode: true });
  for await (const row of stream) yield row as R;
}
