import type { CompiledQuery, QueryResult as KyselyResult } from 'kysely';
import type { Connection as MysqlConnection } from 'mysql2';
import type { PooledConnection } from '../../pool/lease';
import type { KyselyModule } from './kysely-module';
import { pgChunks, type StreamEnd } from './pg-cursor';

/**
 * Kysely's streamQuery where the driver streams: pg through pg-cursor, mysql2's row stream,
 * better-sqlite3's statement iterator. @libsql/client has no streaming API (execute() returns a
 * whole ResultSet): a libsql pool says so instead of reading everything behind Kysely's back.
 *
 * The stream is one lifeguard operation from its first read to its end (operation histogram,
 * slowQuery, its span; no statement deadline, as it lasts as long as its reader), and an error it
 * meets marks the connection broken when the error broke it, so the release destroys it. A stream
 * left before its end: pg closes its cursor and better-sqlite3 its iterator, leaving the
 * connection clean; mysql2's unread rows would arrive in the next caller's answer, so that
 * connection is destroyed (as is a pg one whose cursor could not be closed).
 */
export async function* streamRows<R>(lease: PooledConnection, adapterName: string, compiled: CompiledQuery, chunkSize: number, kysely: KyselyModule): AsyncIterableIterator<KyselyResult<R>> {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
  if (adapterName === 'sqlite' && !kysely.SelectQueryNode.is(compiled.query)) {
    throw new Error('Sqlite driver only supports streaming of select queries');
  }
  if (adapterName !== 'postgres' && adapterName !== 'mysql' && adapterName !== 'sqlite') {
    const driver = adapterName === 'libsql' ? '@libsql/client has no streaming API (execute() returns the whole ResultSet)' : 'its driver has no streaming API';
    throw new Error(`streamQuery() is not supported on a ${adapterName} pool: ${driver}. Page through the rows with limit/offset or keyset pagination instead.`);
  }
  const end: StreamEnd = { dirty: false };
  const chunks =
    adapterName === 'postgres'
      ? pgChunks<R>(lease.raw as Parameters<typeof pgChunks>[0], compiled, chunkSize, end)
      : inChunks(adapterName === 'mysql' ? mysqlRows<R>(lease.raw as MysqlConnection, compiled) : sqliteRows<R>(lease.raw as SqliteDatabase, compiled), chunkSize);
  const operation = streamOperation(lease, compiled);
  let ended = false;
  let failure: unknown;
  let error: unknown;
  try {
    for await (const rows of chunks) yield { rows };
    ended = true;
  } catch (err) {
    failure = err;
  } finally {
    // Runs on a break too (the reader's return()), where nothing after this block does.
    operation.finish(failure);
    // The pool's version of the error (marked broken when it broke the connection, no secrets).
    error = await operation.done;
    if (!ended && failure === undefined && (adapterName === 'mysql' || end.dirty)) {
      await lease.destroy(new Error('stream closed before its end')).catch(() => undefined);
    }
  }
  if (failure !== undefined) throw error ?? failure;
}

/** The stream as one Pool.runOperation: it starts now and ends when finish() is called. */
function streamOperation(lease: PooledConnection, compiled: CompiledQuery): { finish(err: unknown): void; done: Promise<unknown> } {
  let finish: (err: unknown) => void = () => undefined;
  const running = lease.run(compiled.sql, () => new Promise<void>((resolve, reject) => (finish = (err) => (err === undefined ? resolve() : reject(err)))), {
    deadline: false,
    parameterized: compiled.parameters.length > 0,
  });
  return { finish: (err) => finish(err), done: running.then(() => undefined, (err: unknown) => err) };
}

async function* inChunks<R>(rows: AsyncIterable<R>, chunkSize: number): AsyncGenerator<R[]> {
  let chunk: R[] = [];
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
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
