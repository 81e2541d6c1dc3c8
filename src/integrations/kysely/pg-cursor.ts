import type { CompiledQuery } from 'kysely';
import { loadOptionalPackage } from '../../shared/optional-package';

/** The part of pg-cursor a stream uses (its own types stay a devDependency). */
interface PgCursor<R> {
  read(rows: number): Promise<R[]>;
  close(): Promise<void>;
}
type PgCursorClass = new <R>(text: string, values: unknown[]) => PgCursor<R>;

/** A pg.Client: a submittable given to query() is driven by the client and returned as is. */
interface PgClient {
  query<Q>(submittable: Q): Q;
}

/**
 * pg-cursor, loaded at the first stream on a postgres pool: an optional peer like pg itself, so a
 * service that never streams never installs it. Missing, it is a PackageMissingError naming it.
 */
export function loadPgCursor(load?: (name: string) => unknown): PgCursorClass {
  return loadOptionalPackage<PgCursorClass>('pg-cursor', 'Kysely stream() on a postgres pool', load);
}

/** What a pg stream tells its owner when it ends: whether the connection is fit to be lent again. */
export interface StreamEnd {
  /** The cursor could not be closed: the connection's protocol state is unknown. */
  dirty: boolean;
}

/**
 * Rows in chunks of `chunkSize` through a pg-cursor portal on the lease's pg.Client, as Kysely's
 * own PostgresDriver streams. Left before its end, the cursor is closed (Close + Sync, awaited to
 * ReadyForQuery), so the connection is clean for its next statement; after an error pg-cursor has
 * already sent its Sync and a Close would be answered outside any query, so none is sent.
 */
export async function* pgChunks<R>(client: PgClient, compiled: CompiledQuery, chunkSize: number, end: StreamEnd): AsyncGenerator<R[]> {
  const Cursor = loadPgCursor();
  const cursor = client.query(new Cursor<R>(compiled.sql, [...compiled.parameters]));
  let failed = false;
  try {
    for (;;) {
      const rows = await cursor.read(chunkSize);
      if (rows.length === 0) return;
      yield rows;
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    if (!failed) {
      await cursor.close().catch(() => {
        end.dirty = true;
      });
    }
  }
}
