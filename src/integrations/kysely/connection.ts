import type { CompiledQuery, DatabaseConnection, QueryResult as KyselyResult, TransactionSettings } from 'kysely';
import type { QueryResult } from '../../../adapters/contract';
import type { PooledConnection } from '../../pool/lease';
import type { Pool } from '../../pool/pool';
import type { KyselyModule } from './kysely-module';
import { openTransaction, type OpenTransaction } from '../../pool/held-transaction';
import { noteTransactionFailure } from './retry';
import { streamRows } from './stream';

type Family = 'postgres' | 'mysql' | 'sqlite';

const POSTGRES_WRITES = /^\s*(?:with\b[\s\S]*?\b)?(insert|update|delete|merge)\b/i;

/**
 * One Kysely connection. Outside a transaction it borrows a lease at its first statement and
 * keeps it until Kysely releases the connection (so `db.connection()` keeps one session);
 * inside one, every statement goes through the transaction's lease.
 */
export class LifeguardKyselyConnection implements DatabaseConnection {
  #lease: PooledConnection | undefined;
  #transaction: OpenTransaction | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly family: Family,
    private readonly kysely: KyselyModule,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<KyselyResult<R>> {
    const target = await this.#target();
    let result: QueryResult<R>;
    try {
      result = await target.query<R>(compiled.sql, compiled.parameters);
    } catch (err) {
      // Inside a transaction: whether retryTransaction may run it again (retry.ts).
      if (this.#transaction !== undefined) noteTransactionFailure(this.pool, err, target.record.broken !== undefined);
      throw err;
    }
    return this.#kyselyResult(result, compiled.sql);
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<KyselyResult<R>> {
    const target = await this.#target();
    yield* streamRows<R>(target, this.pool.adapter.name, compiled, chunkSize ?? 100, this.kysely);
  }

  async begin(settings: TransactionSettings): Promise<void> {
    if (this.#transaction !== undefined && !this.#transaction.finished) throw new Error('This Kysely connection already has an open transaction.');
    if (this.#lease !== undefined) {
      // Kysely begins on a fresh connection; one that already ran statements gives its lease
      // back first, so the transaction never holds two connections.
      this.#lease.release();
      this.#lease = undefined;
    }
    this.#transaction = await openTransaction(this.pool, {
      readOnly: settings.accessMode === 'read only',
      isolationLevel: settings.isolationLevel === 'snapshot' ? unsupportedSnapshot() : settings.isolationLevel,
    });
  }

  async commit(): Promise<void> {
    const open = this.#transaction;
    if (open === undefined) throw new Error('No transaction to commit.');
    try {
      await open.commit();
    } catch (err) {
      // A serialization failure raised by COMMIT: the server rolled back, a retry is safe.
      noteTransactionFailure(this.pool, err, false);
      throw err;
    }
  }

  async rollback(): Promise<void> {
    await this.#transaction?.rollback();
  }

  release(): void {
    this.#transaction?.rollback().catch(() => undefined);
    this.#transaction = undefined;
    if (this.#lease !== undefined && !this.#lease.released) this.#lease.release();
    this.#lease = undefined;
  }

  async #target(): Promise<PooledConnection> {
    if (this.#transaction !== undefined) {
      if (this.#transaction.finished) throw new Error('This Kysely transaction was already committed or rolled back.');
      return this.#transaction.tx;
    }
    this.#lease ??= await this.pool.acquire();
    return this.#lease;
  }

  /** Kysely's result for the pool's database, as Kysely's own drivers build it. */
  #kyselyResult<R>(result: QueryResult<R>, sql: string): KyselyResult<R> {
    const wrote = (result.columns ?? []).length === 0;
    if (this.family === 'postgres') {
      const command = (result as { command?: string }).command;
      const affects = command !== undefined ? /^(INSERT|UPDATE|DELETE|MERGE)$/.test(command) : POSTGRES_WRITES.test(sql);
      return affects ? { rows: result.rows, numAffectedRows: BigInt(result.rowCount) } : { rows: result.rows };
    }
    if (!wrote) return { rows: result.rows };
    const insertId = result.lastInsertId !== undefined && String(result.lastInsertId) !== '0' ? BigInt(result.lastInsertId) : undefined;
    return { rows: [], numAffectedRows: BigInt(result.rowCount), ...(insertId !== undefined ? { insertId } : {}) };
  }
}

function unsupportedSnapshot(): never {
  throw new TypeError('Isolation level "snapshot" is not one lifeguard transactions take (SQL Server only).');
}
