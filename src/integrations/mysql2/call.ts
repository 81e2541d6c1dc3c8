import type { Connection } from 'mysql2';
import { ConfigError } from '../../shared/errors';

/** mysql2's callback: (err, rows or result header, fields). */
export type QueryCallback = (err: Error | null, result?: unknown, fields?: unknown) => void;

/** One query()/execute() call, its arguments sorted out as mysql2 sorts them. */
export interface QueryCall {
  /** A string, or mysql2's QueryOptions ({ sql, values, rowsAsArray, typeCast, ... }). */
  options: string | { sql: string; values?: unknown };
  values: unknown;
  callback: QueryCallback | undefined;
  /** The statement text, for slowQuery, spans and the lane. */
  sql: string;
}

/** Sorts `(sql | options, values?, callback?)` as mysql2 does; bad input is a ConfigError naming the method. */
export function parseQueryCall(method: string, args: unknown[]): QueryCall {
  const [options, second, third] = args;
  let values: unknown = second;
  let callback: unknown = third;
  if (typeof second === 'function') {
    callback = second;
    values = undefined;
  }
  if (callback !== undefined && typeof callback !== 'function') {
    throw new ConfigError(method, `${method}(): the callback must be a function, got ${typeof callback}.`);
  }
  let sql: unknown = options;
  if (typeof options === 'object' && options !== null) sql = (options as { sql?: unknown }).sql;
  if (typeof sql !== 'string') {
    throw new ConfigError(method, `${method}(): needs the SQL as a string or as { sql: string }, got ${options === null ? 'null' : typeof options}.`);
  }
  return { options: options as QueryCall['options'], values, callback: callback as QueryCallback | undefined, sql };
}

/** Sends the call on the driver's connection; resolves with mysql2's [rows, fields]. */
export function sendOn(raw: Connection, how: 'query' | 'execute', call: QueryCall): Promise<[unknown, unknown]> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, result: unknown, fields: unknown) => (err ? reject(err) : resolve([result, fields]));
    const send = raw[how].bind(raw) as (...args: unknown[]) => unknown;
    if (call.values === undefined) send(call.options, done);
    else send(call.options, call.values, done);
  });
}

/**
 * mysql2's two styles on one promise: with a callback, the callback (on a later tick, outside the
 * promise chain, so what it throws is an uncaught exception as with mysql2) and nothing returned;
 * without one, mysql2/promise's [rows, fields]. The promise carries a `stream()` that says why
 * streaming is refused rather than a TypeError.
 */
export function settle(running: Promise<[unknown, unknown]>, callback: QueryCallback | undefined, method: string): Promise<[unknown, unknown]> | undefined {
  if (callback) {
    callBackLater(running, callback);
    return undefined;
  }
  return Object.assign(running, { stream: () => unsupported(`${method}(...).stream()`, 'streaming rows is not supported by lifeguard/mysql2 (the connection would be held outside any lifeguard operation); query without stream()') });
}

/**
 * mysql2's callback convention on top of a promise: (null, ...values) or (err), always on a later
 * tick and outside the promise chain.
 */
export function callBackLater<T extends unknown[]>(running: Promise<T>, callback: (err: Error | null, ...values: T | []) => void): void {
  running.then(
    (values) => process.nextTick(callback, null, ...values),
    (err: unknown) => process.nextTick(callback, err instanceof Error ? err : new Error(String(err))),
  );
}

/** A mysql2 method the facade does not offer: a clear error naming it. */
export function unsupported(method: string, why: string): never {
  throw new ConfigError(method, `lifeguard/mysql2 does not support ${method}: ${why}.`);
}

/** Runs a callback-or-promise call that has no result (end, beginTransaction, commit, rollback). */
export function settleVoid(running: Promise<void>, callback: unknown): Promise<void> | undefined {
  if (typeof callback !== 'function') return running;
  callBackLater(running.then((): [] => []), callback as (err: Error | null) => void);
  return undefined;
}
