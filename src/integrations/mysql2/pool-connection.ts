import { EventEmitter } from 'node:events';
import type { Connection } from 'mysql2';
import { ConnectionReleasedError } from '../../shared/errors';
import { parseQueryCall, sendOn, settle, settleVoid, unsupported } from './call';

/**
 * Runs one driver call on this connection as a lifeguard operation (the pool's query path:
 * operation histogram, slowQuery, statement deadline, a connection the error broke marked
 * broken), or rejects when the connection is not the caller's to use.
 */
export interface ConnectionRunner {
  /** `parameterized`: the values travel apart from the SQL, so a span may keep its text as written (else its literals are replaced). */
  run<T>(sql: string, fn: (raw: Connection) => Promise<T>, parameterized: boolean): Promise<T>;
  /** Gives the loan back; `destroy` closes the connection instead. */
  end(destroy: boolean): void;
}

/**
 * mysql2's PoolConnection (callback and promise style in one object) over one lifeguard
 * connection. One object per connection, as with mysql2, so what a 'connection' listener sets on
 * it stays; but each query is a lifeguard operation, and once released it refuses queries (mysql2
 * would run them on a connection someone else may hold by then).
 *
 * Not named *Pool*: some data layers take any object whose class name says Pool for a pool.
 */
export class LifeguardMysqlConnection extends EventEmitter {
  #runner: ConnectionRunner | undefined;

  constructor(
    private readonly raw: Connection,
    /** lifeguard's id for the connection (not the server's thread id). */
    readonly connectionId: number,
  ) {
    super();
  }

  /** @internal The pool lends it (or a 'connection' listener sets it up); undefined when idle. */
  attach(runner: ConnectionRunner | undefined): void {
    this.#runner = runner;
  }

  /** The server's id of this connection (CONNECTION_ID()), as mysql2's threadId. */
  get threadId(): number | null {
    return this.raw.threadId;
  }

  query(...args: unknown[]): unknown {
    return this.#send('query', args);
  }

  execute(...args: unknown[]): unknown {
    return this.#send('execute', args);
  }

  beginTransaction(callback?: unknown): unknown {
    return settleVoid(this.#statement('START TRANSACTION'), callback);
  }

  commit(callback?: unknown): unknown {
    return settleVoid(this.#statement('COMMIT'), callback);
  }

  rollback(callback?: unknown): unknown {
    return settleVoid(this.#statement('ROLLBACK'), callback);
  }

  /** Gives the connection back to the pool; an open transaction is rolled back by the pool. */
  release(): void {
    const runner = this.#take('release()');
    runner.end(false);
  }

  /** Closes the connection instead of giving it back; the pool opens another as needed. */
  destroy(): void {
    const runner = this.#take('destroy()');
    runner.end(true);
  }

  /** mysql2/promise's PoolConnection is this same object. */
  promise(): this {
    return this;
  }

  /** The raw driver connection is never handed out: what ran on it would bypass the pool. */
  get connection(): never {
    return unsupported('PoolConnection.connection', 'the driver connection is not handed out, because what runs on it would not be a lifeguard operation (drizzle-orm\'s .iterator() needs it)');
  }

  end(): never {
    return unsupported('PoolConnection.end()', 'a pooled connection is given back with release() or closed with destroy()');
  }

  format(sql: string, values?: unknown): string {
    return this.raw.format(sql, values as never);
  }

  escape(value: unknown): string {
    return this.raw.escape(value);
  }

  escapeId(value: string): string {
    return this.raw.escapeId(value);
  }

  #send(method: 'query' | 'execute', args: unknown[]): unknown {
    const call = parseQueryCall(`PoolConnection.${method}`, args);
    const runner = this.#runner;
    const running = runner ? runner.run(call.sql, (raw) => sendOn(raw, method, call), hasValues(call.values ?? (typeof call.options === 'object' ? call.options.values : undefined))) : Promise.reject(new ConnectionReleasedError(this.connectionId, `${method}()`));
    return settle(running, call.callback, `PoolConnection.${method}`);
  }

  #statement(sql: string): Promise<void> {
    const runner = this.#runner;
    if (!runner) return Promise.reject(new ConnectionReleasedError(this.connectionId, `${sql}`));
    return runner.run(sql, (raw) => sendOn(raw, 'query', { options: sql, values: undefined, callback: undefined, sql }), false).then(() => undefined);
  }

  #take(what: string): ConnectionRunner {
    const runner = this.#runner;
    if (!runner) throw new ConnectionReleasedError(this.connectionId, what);
    this.#runner = undefined;
    return runner;
  }
}

/** Whether a call's values travel apart from its SQL: an array or an object of named values with something in it. */
function hasValues(values: unknown): boolean {
  if (Array.isArray(values)) return values.length > 0;
  return values !== null && typeof values === 'object' && Object.keys(values).length > 0;
}
