import { EventEmitter } from 'node:events';
import type { Client } from 'pg';
import { ConnectionReleasedError } from '../../shared/errors';
import { settleCallback } from './callback';
import { isSubmittable, submittableText, whenSubmittableDone, failSubmittable, type Submittable } from './submittable';

/**
 * Runs one driver call on this client's connection as a lifeguard operation (the pool's query
 * path: operation histogram, slowQuery, statement deadline, broken-connection marking), or
 * rejects when the client is not the caller's to use.
 */
export interface ClientRunner {
  run<T>(sql: string, fn: (raw: Client) => Promise<T>, opts?: { deadline?: boolean }): Promise<T>;
  /** True when `err` broke the connection (pg's error under a query, a closed socket). */
  broken(err: Error): boolean;
}

type Callback = (err: Error | undefined, result?: unknown) => void;

/** Events of pg.Client that a holder may listen to (LISTEN's notifications, server notices), forwarded from the connection; as with pg, listeners stay across loans. */
const FORWARDED = ['notification', 'notice'] as const;

/**
 * The client pg.Pool's connect() returns (pg's PoolClient), over one lifeguard connection. One
 * object per connection, as with pg, so what a 'connect' listener sets on it is there on later
 * checkouts; but every query goes through the pool's query path, and once released it refuses
 * queries (pg would run them on a connection someone else may hold by then).
 *
 * Deliberately not named *Pool*: drizzle-orm treats any object whose class name includes "Pool"
 * as a pool and calls connect() on it.
 */
export class LifeguardPgClient extends EventEmitter {
  /** Set for each loan: gives the client back; a truthy argument destroys the connection. Throws on a second call. */
  release: (err?: Error | boolean) => void = alreadyReleased;
  #runner: ClientRunner | undefined;
  /** Submittables running on this client, and when each is done. */
  readonly #running = new WeakMap<Submittable, Promise<void>>();

  constructor(
    private readonly raw: Client,
    readonly connectionId: number,
  ) {
    super();
    for (const event of FORWARDED) raw.on(event, (message: unknown) => this.emit(event, message));
  }

  /** @internal The pool lends the client (or lets a setup hook use it); undefined when idle. */
  attach(runner: ClientRunner | undefined): void {
    this.#runner = runner;
  }

  /** @internal An error pg raised on the connection while it was lent: to the holder's 'error' listeners, never thrown. */
  connectionFailed(err: Error): void {
    if (this.#runner && this.listenerCount('error') > 0) this.emit('error', err);
  }

  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (isSubmittable(config)) return this.submit(config, values);
    const runner = this.#runner;
    const text = typeof config === 'string' ? config : String((config as { text?: unknown } | null)?.text ?? '');
    const running = runner
      ? runner.run(text, (raw) => raw.query(config as string, values as unknown[] | undefined) as Promise<unknown>)
      : Promise.reject(new ConnectionReleasedError(this.connectionId, 'query()'));
    if (typeof callback === 'function') {
      settleCallback(running, callback as Callback);
      return undefined;
    }
    return running;
  }

  /** A cursor or stream: the connection is held for it until pg is done with it. */
  private submit(query: Submittable, values: unknown): Submittable {
    const runner = this.#runner;
    if (!runner) {
      process.nextTick(failSubmittable, query, new ConnectionReleasedError(this.connectionId, 'query()'));
      return query;
    }
    const done = whenSubmittableDone(query, (err) => runner.broken(err));
    const running = runner.run(
      submittableText(query),
      (raw) => {
        raw.query(query as never, values as never);
        return done;
      },
      { deadline: false },
    );
    // The submittable reports its own errors (its 'error' event, its read callbacks).
    this.#running.set(query, running.catch(() => undefined));
    return query;
  }

  /** @internal When pg is done with a submittable sent through this client. */
  submitted(query: Submittable): Promise<void> {
    return this.#running.get(query) ?? Promise.resolve();
  }

  /** pg refuses to connect a client twice; a pooled client is connected already. */
  connect(callback?: Callback): Promise<void> | undefined {
    const err = new Error('Client has already been connected. You cannot reuse a client.');
    if (callback) {
      process.nextTick(callback, err);
      return undefined;
    }
    return Promise.reject(err);
  }

  /** Ends the connection; the pool sees it ended when it comes back and destroys it. */
  end(callback?: (err?: Error) => void): Promise<void> | undefined {
    const ending = this.raw.end();
    if (callback) {
      settleCallback(ending, callback);
      return undefined;
    }
    return ending;
  }

  get processID(): number | null {
    return (this.raw as unknown as { processID: number | null }).processID;
  }
  get database(): string | undefined {
    return this.raw.database;
  }
  get user(): string | undefined {
    return this.raw.user;
  }
  get host(): string {
    return this.raw.host;
  }
  get port(): number {
    return this.raw.port;
  }
  escapeIdentifier(text: string): string {
    return this.raw.escapeIdentifier(text);
  }
  escapeLiteral(text: string): string {
    return this.raw.escapeLiteral(text);
  }
  getTypeParser(...args: Parameters<Client['getTypeParser']>): ReturnType<Client['getTypeParser']> {
    return this.raw.getTypeParser(...args);
  }
  setTypeParser(...args: Parameters<Client['setTypeParser']>): void {
    this.raw.setTypeParser(...args);
  }
  getTransactionStatus(): ReturnType<Client['getTransactionStatus']> {
    return this.raw.getTransactionStatus();
  }
  ref(): void {
    (this.raw as unknown as { ref(): void }).ref();
  }
  unref(): void {
    (this.raw as unknown as { unref(): void }).unref();
  }
}

function alreadyReleased(): never {
  throw new Error('Release called on client which has already been released to the pool.');
}
