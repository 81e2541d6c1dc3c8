import type { LibsqlConnection } from './libsql-connection';

/**
 * The calls into an open @libsql/client Transaction on an embedded file (execute, commit,
 * rollback), made without stack traces for the errors the driver throws away.
 *
 * Why: for every statement @libsql/client 0.18 probes `stmt.raw(true)` inside a try/catch, and
 * libsql throws there for any statement that returns no rows (INSERT/UPDATE/DELETE, BEGIN,
 * COMMIT, ROLLBACK). V8 gives each of those discarded errors a stack of up to
 * Error.stackTraceLimit frames, and under a pool's call chain all ten are there: measured on
 * Node 20, about 5 µs a throw with ten frames, 2.7 µs with three, 1 µs with none. With the pool's
 * call chain a two-UPDATE transaction cost ~84 µs of CPU against ~53 µs for the same driver calls
 * made by hand (docs/performance.md, issue 16). On a file a Transaction's execute(), commit()
 * and rollback() do all their work synchronously inside the call (they await nothing before it;
 * DRIVER-NOTES.md), so no other code runs while the limit is 0, and it is put back before this
 * returns, whatever the call did. The client's own execute() and transaction() await its internal
 * pool before they reach the database, so an autocommit statement and BEGIN are not covered: the
 * limit is back by the time they run.
 *
 * An error that does reach the caller loses nothing: withStack gives it the stack of the adapter
 * code that hands it on, as an error of an asynchronous driver has.
 */
export function withoutStackTraces<T>(call: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    // A frozen Error (a hardened realm): the call runs as it would without us.
    return call();
  }
  try {
    return call();
  } catch (err) {
    Error.stackTraceLimit = limit;
    return Promise.reject(withStack(err));
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A call into the driver on `conn`: quiet on an embedded file (see above); the caller passes a rejection through withStack. */
export function onDriver<T>(conn: LibsqlConnection, call: () => Promise<T>): Promise<T> {
  return conn.embedded ? withoutStackTraces(call) : call();
}

/** Gives an error raised under withoutStackTraces (no frames) the stack of the code handing it on. */
export function withStack(err: unknown): unknown {
  if (err instanceof Error && !hasFrames(err)) {
    try {
      Error.captureStackTrace(err, withStack);
    } catch {
      // a frozen error keeps what it has
    }
  }
  return err;
}

function hasFrames(err: Error): boolean {
  const stack: unknown = err.stack;
  return typeof stack === 'string' && stack.includes('\n    at ');
}
