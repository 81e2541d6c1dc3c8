import type { Adapter, AdapterQueryOptions, ConnectCredentials, QueryResult } from '../../adapters/contract';
import { registerAdapter } from '../../adapters/scheme-registry';

export interface FakeRaw {
  id: number;
  open: boolean;
  inTx: boolean;
  broken: boolean;
  /** Its holder closed it through the driver (pg's client.end()): the driver knows, nothing was emitted. */
  closedByHolder?: boolean;
  idleErrorListener?: (err: unknown) => void;
  /** The password it was opened with (from the pool's credentials), if any. */
  password?: string;
  /** Statements under way on this connection; they fail when it is closed or killed (with abortInFlightOnClose). */
  running?: Set<(err: Error) => void>;
  /** Statements this connection was asked to run, in total. */
  queries?: number;
}

/**
 * An in-process adapter for unit tests of pool logic: no database, every behaviour switchable.
 * SQL understood by query(): 'sleep <ms>', 'fail', 'break' (a connection-level error),
 * 'retryable' (a serialization failure), anything else returns one row.
 */
export class FakeDatabase {
  connects = 0;
  closes = 0;
  validations = 0;
  nextId = 1;
  readonly open = new Set<FakeRaw>();
  /** When set, connect() fails with it (or throws it synchronously when failSync). */
  connectError: Error | undefined;
  failSync = false;
  connectDelayMs = 0;
  /** A driver that ignores the abort signal and connects late anyway. */
  ignoreAbort = false;
  /** Connection ids whose validation fails. */
  readonly failValidation = new Set<number>();
  /** Connection ids whose validation never answers (a path a NAT forgot). */
  readonly hangValidation = new Set<number>();
  /** Every validation takes this long. */
  validateDelayMs = 0;
  /** Validations running right now, the most seen at once, and which connection each was for. */
  validatingNow = 0;
  maxValidatingAtOnce = 0;
  readonly validatedIds: number[] = [];
  /** Max connections the "server" accepts; beyond, connect fails. */
  serverLimit = Infinity;
  commitError: Error | undefined;
  rollbackError: Error | undefined;
  /** A ROLLBACK takes this long (a background rollback still running when close() is called). */
  rollbackDelayMs = 0;
  maxOpenSeen = 0;
  /** Every query takes at least this long (slow-query tests with any SQL text). */
  queryDelayMs = 0;
  /** What serverInfo() reports as max_connections; undefined: the server does not say. */
  serverMaxConnections: number | undefined;
  /** When set, serverInfo() fails with it. */
  serverInfoError: Error | undefined;
  serverInfoCalls = 0;
  /** The credentials each connect() was given, in order. */
  readonly credentialsSeen: Array<ConnectCredentials | undefined> = [];
  /** When set, connect() fails unless it is given this password (a server's authentication). */
  requirePassword: string | undefined;
  /** What replicationLagMs() reports; undefined: not a replica. */
  replicationLagMs: number | undefined;
  /** Connections connect() returned and close() has not closed yet (killed ones included): what the pool should still count. */
  readonly unclosed = new Set<FakeRaw>();
  /**
   * The next connections open already dead, their error raised before anyone could listen, the way
   * pg delivers a backend's FATAL in the same read as its ReadyForQuery.
   */
  deadOnArrival = false;
  /** deadOnArrival for the next connection only (the race pg has), not for every one from now on. */
  deadOnArrivalOnce = false;
  /** Statements under way fail at once when their connection is closed or killed, as with a real socket. */
  abortInFlightOnClose = false;
  /** Set for an embedded-like database: the pool runs its writes through a writer lane under this key. */
  writerLaneKey: string | undefined;
  /**
   * Embedded-like only: the connection holding the file's write lock, SQLite's way (from its first
   * write until its transaction ends; for an autocommit write, the statement). SQL 'begin',
   * 'commit' and 'rollback' sent as statements open and end a transaction as BEGIN/COMMIT do.
   */
  writeLockHolder: FakeRaw | undefined;
  /** Writes refused with SQLITE_BUSY because another connection held the write lock: what the writer lane exists to prevent. */
  busyRefusals = 0;

  private takeWriteLock(raw: FakeRaw): void {
    const holder = this.writeLockHolder;
    if (holder !== undefined && holder !== raw && holder.open) {
      this.busyRefusals++;
      throw Object.assign(new Error(`database is locked (connection ${holder.id} holds the write lock)`), { code: 'SQLITE_BUSY' });
    }
    this.writeLockHolder = raw;
  }

  releaseWriteLock(raw: FakeRaw): void {
    if (this.writeLockHolder === raw) this.writeLockHolder = undefined;
  }

  /** Runs one statement under the embedded write-lock rules (the statement itself is `run`). */
  async underWriteLock<T>(raw: FakeRaw, sql: string, run: () => Promise<T>, empty: T): Promise<T> {
    if (!raw.open) throw Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
    const statement = sql.toLowerCase();
    if (statement === 'begin') {
      raw.inTx = true;
      return empty;
    }
    if (statement === 'commit' || statement === 'rollback') {
      raw.inTx = false;
      this.releaseWriteLock(raw);
      return empty;
    }
    if (statement !== 'select' && raw.open) this.takeWriteLock(raw);
    try {
      return await run();
    } finally {
      if (!raw.inTx) this.releaseWriteLock(raw);
    }
  }

  adapter(): Adapter<FakeRaw> {
    return this.makeAdapter(this);
  }

  private makeAdapter(db: FakeDatabase): Adapter<FakeRaw> {
    return {
      name: 'fake',
      ...(db.writerLaneKey !== undefined ? { writerLaneKey: db.writerLaneKey } : {}),
      connect(signal, credentials) {
        db.connects++;
        db.credentialsSeen.push(credentials);
        if (db.requirePassword !== undefined && credentials?.password !== db.requirePassword) {
          return Promise.reject(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }));
        }
        if (db.connectError && db.failSync) throw db.connectError;
        if (db.connectError) return Promise.reject(db.connectError);
        if (db.open.size >= db.serverLimit) return Promise.reject(Object.assign(new Error('too many connections'), { code: 'ETOOMANY' }));
        const raw: FakeRaw = { id: db.nextId++, open: true, inTx: false, broken: false, running: new Set(), queries: 0, password: credentials?.password };
        const dead = db.deadOnArrival;
        const finish = () => {
          db.open.add(raw);
          db.unclosed.add(raw);
          db.maxOpenSeen = Math.max(db.maxOpenSeen, db.open.size);
          // Killed before the pool could attach a listener: nobody hears the error.
          if (dead) {
            db.kill(raw);
            if (db.deadOnArrivalOnce) db.deadOnArrival = false;
          }
          return raw;
        };
        if (db.connectDelayMs <= 0) return Promise.resolve(finish());
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(finish()), db.connectDelayMs);
          signal.addEventListener('abort', () => {
            if (db.ignoreAbort) return;
            clearTimeout(timer);
            reject(signal.reason);
          });
        });
      },
      async validate(raw) {
        db.validations++;
        db.validatedIds.push(raw.id);
        db.validatingNow++;
        db.maxValidatingAtOnce = Math.max(db.maxValidatingAtOnce, db.validatingNow);
        try {
          if (db.hangValidation.has(raw.id)) await new Promise(() => undefined);
          if (db.validateDelayMs > 0) await db.wait(raw, db.validateDelayMs);
          if (!raw.open || raw.broken || db.failValidation.has(raw.id)) throw new Error(`connection ${raw.id} is dead`);
        } finally {
          db.validatingNow--;
        }
      },
      async query<R>(raw: FakeRaw, sql: string, _params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
        if (db.writerLaneKey !== undefined) {
          return db.underWriteLock(raw, sql, () => db.runStatement<R>(raw, sql, opts), { rows: [], rowCount: 0, columns: [] });
        }
        return db.runStatement<R>(raw, sql, opts);
      },
      async begin(raw) {
        raw.inTx = true;
      },
      async commit(raw) {
        if (db.commitError) throw db.commitError;
        raw.inTx = false;
        db.releaseWriteLock(raw);
      },
      async rollback(raw) {
        if (db.rollbackDelayMs > 0) await new Promise((r) => setTimeout(r, db.rollbackDelayMs));
        if (db.rollbackError) throw db.rollbackError;
        raw.inTx = false;
        db.releaseWriteLock(raw);
      },
      async close(raw) {
        if (raw.open) db.closes++;
        raw.open = false;
        db.open.delete(raw);
        db.unclosed.delete(raw);
        db.releaseWriteLock(raw);
        db.failRunning(raw);
      },
      // What the driver saw: a connection killed with an error. A socket that died without a word
      // (open false, broken not set) is found only by using it, as with a real silent network.
      brokenBy(raw) {
        if (raw.closedByHolder) return new Error(`connection ${raw.id} was closed by its holder`);
        return raw.broken ? Object.assign(new Error(`connection ${raw.id} was killed`), { code: 'ECONNRESET' }) : undefined;
      },
      isBroken(raw, err) {
        return raw.broken || !raw.open || (err as { code?: string }).code === 'ECONNRESET';
      },
      isRetryable(err) {
        return (err as { code?: string }).code === 'ESERIAL';
      },
      onIdleError(raw, listener) {
        raw.idleErrorListener = listener;
      },
      inTransaction(raw) {
        return raw.inTx;
      },
      async serverInfo() {
        db.serverInfoCalls++;
        if (db.serverInfoError) throw db.serverInfoError;
        return { version: 'fake', maxConnections: db.serverMaxConnections, openConnections: db.open.size };
      },
      async replicationLagMs() {
        return db.replicationLagMs;
      },
    };
  }

  /** What query() does once the statement may run: the SQL dialect in the class comment. */
  async runStatement<R>(raw: FakeRaw, sql: string, opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
    raw.queries = (raw.queries ?? 0) + 1;
    if (!raw.open) throw Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
    const sleep = /^sleep (\d+)$/.exec(sql);
    if (sleep) await this.wait(raw, Number(sleep[1]));
    if (this.queryDelayMs > 0) await this.wait(raw, this.queryDelayMs);
    if (sql === 'fail') throw Object.assign(new Error('syntax error'), { code: 'ESYNTAX' });
    if (sql === 'break') {
      raw.broken = true;
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    }
    if (sql === 'lose') {
      // The way pg reports a lost connection: plain words, no code.
      raw.broken = true;
      throw new Error('Connection terminated unexpectedly');
    }
    if (sql === 'retryable') throw Object.assign(new Error('could not serialize'), { code: 'ESERIAL' });
    if (opts?.rowMode === 'array') return { rows: [[raw.id] as R], rowCount: 1, columns: ['connectionId'] };
    return { rows: [{ connectionId: raw.id } as R], rowCount: 1, columns: ['connectionId'] };
  }

  /** Waits ms on a connection; with abortInFlightOnClose the wait fails when the connection closes. */
  wait(raw: FakeRaw, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        raw.running?.delete(fail);
        resolve();
      }, ms);
      if (this.abortInFlightOnClose) raw.running?.add(fail);
    });
  }

  private failRunning(raw: FakeRaw): void {
    for (const fail of raw.running ?? []) fail(Object.assign(new Error('connection closed under the statement'), { code: 'ECONNRESET' }));
    raw.running?.clear();
  }

  /** Closes a connection the way its holder does (pg's client.end()): the driver knows, no error, no event. */
  closeQuietly(raw: FakeRaw): void {
    raw.open = false;
    raw.closedByHolder = true;
    this.open.delete(raw);
  }

  /** Kills a connection the way a server does: it breaks and tells its idle listener. */
  kill(raw: FakeRaw): void {
    raw.broken = true;
    raw.open = false;
    this.open.delete(raw);
    this.failRunning(raw);
    raw.idleErrorListener?.(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
  }
}

let registered = 0;

/** Registers a fresh fake database under its own scheme and returns it with its URL. */
export function fakeDatabase(): { db: FakeDatabase; url: string } {
  const db = new FakeDatabase();
  const scheme = `fake${++registered}`;
  registerAdapter(scheme, () => db.adapter() as Adapter<unknown>);
  return { db, url: `${scheme}://localhost/test` };
}
