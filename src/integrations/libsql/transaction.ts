import type { InStatement, ResultSet, Transaction } from '@libsql/client';
import { transactionControl } from '../../../adapters/transaction-control';
import type { Pool } from '../../pool/pool';
import type { LibsqlErrorClasses } from './errors';
import { LibsqlResultSet } from './result-set';
import { runScript, runStatement } from './run';
import { refuseScriptInRead, refuseWriteInRead } from './read-only';
import { poolStatement } from './statement';
import type { OpenTransaction } from '../../pool/held-transaction';

/**
 * libsql's interactive Transaction over a held pool.transaction. As libsql's: statements after
 * commit(), rollback() or close() fail with TRANSACTION_CLOSED; close() rolls back what was not
 * committed; a failing statement does not roll the transaction back by itself. A COMMIT or
 * ROLLBACK sent as SQL ends the transaction the same way commit() and rollback() do.
 */
export class LifeguardLibsqlTransaction implements Transaction {
  readonly #open: OpenTransaction;
  readonly #pool: Pool;
  readonly #errors: LibsqlErrorClasses;

  /** A "read" transaction: writes are refused before they run (read-only.ts). */
  readonly #readOnly: boolean;

  constructor(open: OpenTransaction, pool: Pool, errors: LibsqlErrorClasses, readOnly = false) {
    this.#open = open;
    this.#pool = pool;
    this.#errors = errors;
    this.#readOnly = readOnly;
  }

  get closed(): boolean {
    return this.#open.finished;
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    this.#checkOpen();
    const statement = poolStatement(stmt);
    const control = transactionControl(statement.sql);
    if (control?.kind === 'commit') return this.commit().then(empty);
    if (control?.kind === 'rollback') return this.rollback().then(empty);
    if (this.#readOnly) refuseWriteInRead(statement, 'A "read" transaction', this.#errors);
    return runStatement(this.#open.tx, statement, this.#errors);
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    const results: ResultSet[] = [];
    for (let i = 0; i < stmts.length; i++) {
      try {
        results.push(await this.execute(stmts[i]));
      } catch (err) {
        throw this.#errors.batchError(err, i);
      }
    }
    return results;
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#checkOpen();
    if (this.#readOnly) refuseScriptInRead(this.#errors);
    await runScript(this.#open.tx, this.#pool.adapter.name, sql, this.#errors);
  }

  async commit(): Promise<void> {
    this.#checkOpen();
    await this.#open.commit();
  }

  /** After commit or close, a no-op, as libsql's. */
  async rollback(): Promise<void> {
    await this.#open.rollback();
  }

  close(): void {
    if (this.#open.finished) return;
    // libsql's close() is synchronous and rolls back; ours finishes in the background, and a
    // failed ROLLBACK destroys the connection (the pool's rule), so there is nothing to report here.
    this.#open.rollback().catch(() => undefined);
  }

  #checkOpen(): void {
    if (this.#open.finished) throw this.#errors.error('The transaction is closed', 'TRANSACTION_CLOSED');
  }
}

function empty(): LibsqlResultSet {
  return new LibsqlResultSet([], [], [], 0, undefined);
}
