/**
 * src/shared/ — the floor every room stands on, importing nothing of lifeguard's: the error
 * classes (this file), secrets and redaction (secret.ts), the logger (logger.ts), optional peer
 * loading (optional-package.ts), the one deadline helper (deadline.ts) and messageOf (message-of.ts).
 *
 * Every error lifeguard raises is one of these classes, with a stable `code` to branch on and the
 * underlying error as `cause`. Messages never contain a password or token: they are built from
 * masked values, and driver messages are passed through `redactText` before they are wrapped.
 */

export type LifeguardErrorCode =
  | 'CONFIG_INVALID'
  | 'POOL_TIMEOUT'
  | 'POOL_CLOSED'
  | 'POOL_QUEUE_FULL'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_RELEASED'
  | 'DRIVER_MISSING'
  | 'TRANSACTION_OUTCOME_UNKNOWN'
  | 'QUERY_TIMEOUT'
  | 'TRANSACTION_ROLLED_BACK'
  | 'PACKAGE_MISSING'
  | 'REPLICA_LAGGING'
  | 'CONNECTION_LOST'
  | 'WRITER_LANE_DEADLOCK';

export class LifeguardError extends Error {
  readonly code: LifeguardErrorCode;

  constructor(code: LifeguardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class ConfigError extends LifeguardError {
  /** The variable, parameter or option that was wrong. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super('CONFIG_INVALID', message);
    this.setting = setting;
  }
}

export class PoolTimeoutError extends LifeguardError {
  readonly waitedMs: number;
  /** Callers still waiting when this one gave up. */
  readonly pending: number;

  constructor(poolName: string, waitedMs: number, pending: number, cause?: unknown) {
    const why = cause instanceof Error ? ` Last connection failure: ${cause.message}` : '';
    super(
      'POOL_TIMEOUT',
      // "acquire timeout" in so many words: callers, and the data layers over lifeguard/pg, match on it.
      `Pool "${poolName}" could not provide a connection within ${waitedMs} ms ` +
        `(acquire timeout; ${pending} other callers waiting).${why}`,
      cause === undefined ? undefined : { cause },
    );
    this.waitedMs = waitedMs;
    this.pending = pending;
  }

  /**
   * The writer lane of an embedded file stayed busy past the acquire timeout: says so, and who
   * held it (pool, connection, for how long, and where it was acquired when leak detection
   * records stacks), since that holder, not the pool's size, is what the caller waited for.
   */
  static writerLaneBusy(poolName: string, waitedMs: number, pending: number, file: string, holder: WriterLaneHolder | undefined): PoolTimeoutError {
    const error = new PoolTimeoutError(poolName, waitedMs, pending);
    error.message = `Pool "${poolName}" waited ${waitedMs} ms for the writer lane of ${file} (${pending} other callers waiting): ${describeHolder(holder)}`;
    return error;
  }
}

/** Who held a writer lane, as PoolTimeoutError.writerLaneBusy reports it. */
export interface WriterLaneHolder {
  readonly poolName: string;
  readonly connectionId: number | undefined;
  readonly since: number;
  readonly acquiredBy: string | undefined;
}

function describeHolder(holder: WriterLaneHolder | undefined): string {
  if (holder === undefined) return 'it was busy until just now.';
  const who = holder.connectionId === undefined ? `a caller of pool "${holder.poolName}"` : `connection ${holder.connectionId} of pool "${holder.poolName}"`;
  const where =
    holder.acquiredBy !== undefined
      ? ` That connection was ${holder.acquiredBy.replace(/^Error: /, '')}`
      : ' (set leakDetectionMs to record where each connection is acquired).';
  return `it was held by ${who} for ${Date.now() - holder.since} ms, in a write transaction or statement that had not finished.${where}`;
}

export class PoolClosedError extends LifeguardError {
  constructor(poolName: string) {
    super('POOL_CLOSED', `Pool "${poolName}" is closed or closing and takes no new work.`);
  }
}

export class PoolQueueFullError extends LifeguardError {
  readonly maxWaiting: number;

  constructor(poolName: string, maxWaiting: number) {
    super(
      'POOL_QUEUE_FULL',
      `Pool "${poolName}" already has ${maxWaiting} callers waiting (maxWaiting); ` +
        'shed load or raise DB_MAX_WAITING.',
    );
    this.maxWaiting = maxWaiting;
  }
}

export class ConnectionError extends LifeguardError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION_FAILED', message, cause === undefined ? undefined : { cause });
  }
}

/** A lease was used after its loan ended: released, destroyed, its transaction over, or taken back by close(). */
export class ConnectionReleasedError extends LifeguardError {
  constructor(connectionId: number, what: string, endedBy = 'release()') {
    super('CONNECTION_RELEASED', `Connection ${connectionId}'s loan already ended (${endedBy}); ${what} is not allowed after that.`);
  }
}

export class DriverMissingError extends LifeguardError {
  readonly packageName: string;

  constructor(packageName: string, scheme: string, cause?: unknown) {
    super(
      'DRIVER_MISSING',
      `URLs with scheme "${scheme}:" need the driver package "${packageName}". Install it: npm install ${packageName}`,
      cause === undefined ? undefined : { cause },
    );
    this.packageName = packageName;
  }
}

/** COMMIT was sent and failed: the transaction may or may not have been applied. Never retried. */
export class TransactionOutcomeUnknownError extends LifeguardError {
  constructor(cause: unknown) {
    super(
      'TRANSACTION_OUTCOME_UNKNOWN',
      'COMMIT failed after it was sent: the transaction may or may not have been applied. Check before retrying.',
      { cause },
    );
  }
}

/** A query ran past its `timeoutMs`; its connection is destroyed, since the query may still be running. */
export class QueryTimeoutError extends LifeguardError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('QUERY_TIMEOUT', `Query did not finish within ${timeoutMs} ms; its connection was destroyed.`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * COMMIT was answered with a rollback: a statement inside the transaction had failed (and the
 * error was caught), so the server discarded the whole transaction. Nothing was applied.
 */
export class TransactionRolledBackError extends LifeguardError {
  /** `detail` says why; `withoutCommit` when COMMIT was never sent (the function destroyed its connection). */
  constructor(detail: string, withoutCommit = false) {
    super(
      'TRANSACTION_ROLLED_BACK',
      withoutCommit
        ? `The transaction was rolled back: ${detail} Nothing was applied.`
        : `COMMIT rolled the transaction back instead: ${detail} Nothing was applied; fix the failing statement and run the transaction again.`,
    );
  }
}

/** An optional peer package a feature needs (prom-client, @opentelemetry/api) is not installed. */
export class PackageMissingError extends LifeguardError {
  readonly packageName: string;

  constructor(packageName: string, feature: string, cause?: unknown) {
    super(
      'PACKAGE_MISSING',
      `${feature} needs the package "${packageName}", which is not installed. Install it: npm install ${packageName}`,
      cause === undefined ? undefined : { cause },
    );
    this.packageName = packageName;
  }
}

/** A read replica is further behind its primary than maxReplicaLagMs allows: it is taken out of rotation. */
export class ReplicaLagError extends LifeguardError {
  readonly lagMs: number;
  readonly maxLagMs: number;

  constructor(replica: string, lagMs: number, maxLagMs: number) {
    super(
      'REPLICA_LAGGING',
      `Read replica ${replica} is ${Math.round(lagMs)} ms behind its primary, more than maxReplicaLagMs ${maxLagMs}; ` +
        'its reads go to the other replicas or the primary until it catches up.',
    );
    this.lagMs = lagMs;
    this.maxLagMs = maxLagMs;
  }
}

/**
 * The connection a pipelined statement was sent on was lost before it answered: its backend was
 * killed, its socket dropped, or the pool destroyed it because nothing on it was answered within
 * statementTimeoutMs plus its grace. Every statement in flight on that connection gets this error.
 * `statementRan` says what is known: 'no' when the server provably never started the statement
 * (it is safe to send again), 'unknown' when it may have run (a write may have been committed).
 */
export class ConnectionLostError extends LifeguardError {
  readonly connectionId: number;
  readonly statementRan: 'no' | 'unknown';

  constructor(connectionId: number, why: string, statementRan: 'no' | 'unknown', cause: unknown) {
    const outcome = statementRan === 'no' ? 'The statement did not run; it is safe to send again.' : 'The statement may or may not have run: check before sending a write again.';
    super('CONNECTION_LOST', `Connection ${connectionId} was lost: ${why}. ${outcome}`, { cause });
    this.connectionId = connectionId;
    this.statementRan = statementRan;
  }
}

/**
 * A write from code running inside a write transaction on an embedded file, sent through another
 * call (pool.query, pool.transaction, another lease): it would wait for the writer lane its own
 * transaction holds, until the acquire timeout. Refused at once instead.
 */
export class WriterLaneDeadlockError extends LifeguardError {
  constructor(poolName: string, file: string) {
    super(
      'WRITER_LANE_DEADLOCK',
      `Pool "${poolName}": this write was sent through the pool from inside a write transaction on ${file}, ` +
        'and would wait for the writer lane that transaction holds until it timed out. Send it through the ' +
        'transaction (the tx or lease you were given) instead, or after the transaction ends.',
    );
  }
}
