/**
 * `lifeguard/libsql`: an @libsql/client `Client` over a lifeguard pool, so Drizzle (drizzle-orm/libsql),
 * @libsql/kysely-libsql and code written for `createClient()` run on the pool unchanged, with every
 * pool policy underneath: the writer lane on embedded files, metrics, slow-query and leak reports.
 */
import type { Client, InArgs, InStatement, Replicated, ResultSet, Transaction, TransactionMode } from '@libsql/client';
import type { Pool } from '../../pool/pool';
import { libsqlErrors, type LibsqlErrorClasses } from './errors';
import { runBatch, runStatement, runScript } from './run';
import { refuseWritesInRead } from './read-only';
import { poolStatement } from './statement';
import { LifeguardLibsqlTransaction } from './transaction';
import { openTransaction } from '../../pool/held-transaction';

const MODES: readonly TransactionMode[] = ['write', 'read', 'deferred'];

/** The client libsqlClient() returns: @libsql/client's Client, backed by a lifeguard pool. */
export class LifeguardLibsqlClient implements Client {
  closed = false;
  readonly protocol: string;
  readonly #pool: Pool;
  readonly #errors: LibsqlErrorClasses;

  constructor(pool: Pool) {
    const adapter = pool.adapter.name;
    if (adapter !== 'libsql' && adapter !== 'sqlite') {
      throw new TypeError(`libsqlClient() needs a libsql or sqlite pool; pool "${pool.name}" is a ${adapter} pool.`);
    }
    this.#pool = pool;
    this.#errors = libsqlErrors();
    this.protocol = protocolOf(pool.config.scheme);
  }

  /** The pool underneath, for its stats, events and metrics. */
  get pool(): Pool {
    return this.#pool;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmt: InStatement, args?: InArgs): Promise<ResultSet> {
    this.#checkOpen();
    const statement = poolStatement(stmt, args);
    return runStatement(this.#pool, statement, this.#errors);
  }

  /** Atomic, as libsql's: one pool transaction (through the writer lane on an embedded file unless mode is "read"). */
  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    checkMode(mode);
    this.#checkOpen();
    const statements = stmts.map((stmt) => poolStatement(stmt));
    if (mode === 'read') refuseWritesInRead(statements, 'batch(stmts, "read")', this.#errors);
    return this.#pool.transaction((tx) => runBatch(tx, statements, this.#errors), { readOnly: mode === 'read' });
  }

  /** As libsql's: a deferred transaction with foreign keys off, on one connection, then foreign keys back on. */
  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    this.#checkOpen();
    const statements = stmts.map((stmt) => poolStatement(stmt));
    return this.#pool.withConnection(async (lease) => {
      await lease.query('PRAGMA foreign_keys=off');
      try {
        await lease.query('BEGIN DEFERRED');
        const results = await runBatch(lease, statements, this.#errors);
        await lease.query('COMMIT');
        return results;
      } catch (err) {
        // PRAGMA foreign_keys is a no-op inside a transaction: end it before turning them back on.
        await lease.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await lease.query('PRAGMA foreign_keys=on');
      }
    });
  }

  transaction(mode?: TransactionMode): Promise<Transaction>;
  transaction(): Promise<Transaction>;
  /** An interactive transaction: a pool.transaction held open until commit(), rollback() or close(). */
  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    checkMode(mode);
    this.#checkOpen();
    const open = await openTransaction(this.#pool, { readOnly: mode === 'read' });
    return new LifeguardLibsqlTransaction(open, this.#pool, this.#errors, mode === 'read');
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#checkOpen();
    await this.#pool.withConnection((lease) => runScript(lease, this.#pool.adapter.name, sql, this.#errors));
  }

  /** A pool is not an embedded replica: libsql's own answer for a client without a sync URL. */
  async sync(): Promise<Replicated> {
    throw this.#errors.error(
      'sync() is not supported by libsqlClient(pool): a lifeguard pool is not an embedded replica (no syncUrl). Sync the replica with its own client.',
      'SYNC_NOT_SUPPORTED',
    );
  }

  /**
   * Closes this client, as libsql's close() does for the caller: later calls fail with
   * CLIENT_CLOSED. The pool is not closed: whoever created it drains it (pool.close(), or the
   * shutdown hooks), since other clients and callers may share it.
   */
  close(): void {
    this.closed = true;
  }

  reconnect(): void {
    this.closed = false;
  }

  #checkOpen(): void {
    if (this.closed) throw this.#errors.error('The client is closed', 'CLIENT_CLOSED');
  }
}

/** An @libsql/client Client over a lifeguard libsql (file:, :memory:, remote) or sqlite: pool. */
export function libsqlClient(pool: Pool): LifeguardLibsqlClient {
  return new LifeguardLibsqlClient(pool);
}

function checkMode(mode: unknown): void {
  if (!MODES.includes(mode as TransactionMode)) {
    throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
  }
}

/** What @libsql/client reports for the same URL: "file" for embedded, "http" or "ws" for a server. */
function protocolOf(scheme: string): string {
  if (scheme === 'ws' || scheme === 'wss') return 'ws';
  if (scheme === 'http' || scheme === 'https' || scheme === 'libsql') return 'http';
  return 'file';
}
