import type { LaneHold } from './writer-lane';

/**
 * The pool's record of one open connection: the driver's raw object plus what the policies need
 * (age, uses, last use, whether it broke). One record lives as long as the connection does;
 * callers never see it, they get a per-loan PooledConnection instead.
 */
export interface Connection<Raw = unknown> {
  readonly id: number;
  readonly raw: Raw;
  readonly createdAt: number;
  /** When maxLifetimeMs (minus this connection's jitter) runs out; Infinity when there is no limit. */
  readonly expiresAt: number;
  uses: number;
  /** Date.now() of the last release (or of creation); validation is skipped within 500 ms of it. */
  lastUsedAt: number;
  /** Date.now() when the current loan began; 0 when idle. */
  borrowedAt: number;
  /** Counts loans: a lease belongs to the loan it was made in, and is dead once this moves on. */
  loan: number;
  /** The error that broke it; a broken connection is destroyed, never handed out again. */
  broken: unknown;
  /** Stack of the code holding it, captured only when leak detection is on. */
  acquiredBy: string | undefined;
  /** Set once a leak event fired for the current loan, so it fires once per loan. */
  leakReported: boolean;
  /** Why it is being destroyed; read by the destroy hook, which generic-pool calls with the object only. */
  destroyReason: DestroyReason | undefined;
  /** Its turn in the writer lane of an embedded file, while it has one (pool-lane.ts). */
  laneHold: LaneHold | undefined;
  /** Statements running on it that the server can be asked to cancel (not pipelined ones): close() cancels those it gives up on. */
  statementsRunning: number;
  /** The trace context of the transaction running on it, if traced: its statements' parent (operation-tracer.ts). */
  traceParent: unknown;
}

let nextConnectionId = 1;

/**
 * Connections recycle at maxLifetimeMs minus up to 10 % jitter, so a pool whose connections were
 * opened together does not reopen them all in the same second.
 */
export function newConnection<Raw>(raw: Raw, maxLifetimeMs: number, now = Date.now()): Connection<Raw> {
  const jitter = maxLifetimeMs > 0 ? Math.random() * 0.1 * maxLifetimeMs : 0;
  return {
    id: nextConnectionId++,
    raw,
    createdAt: now,
    expiresAt: maxLifetimeMs > 0 ? now + maxLifetimeMs - jitter : Infinity,
    uses: 0,
    lastUsedAt: now,
    borrowedAt: 0,
    loan: 0,
    broken: undefined,
    acquiredBy: undefined,
    leakReported: false,
    destroyReason: undefined,
    laneHold: undefined,
    statementsRunning: 0,
    traceParent: undefined,
  };
}

export type DestroyReason = 'idle' | 'lifetime' | 'maxUses' | 'broken' | 'validation' | 'keepalive' | 'drain' | 'transaction';

/** Why a connection must not be reused, or undefined when it may be. */
export function retirementReason(conn: Connection, maxUses: number, now: number): DestroyReason | undefined {
  if (conn.broken !== undefined) return 'broken';
  if (now >= conn.expiresAt) return 'lifetime';
  if (maxUses > 0 && conn.uses >= maxUses) return 'maxUses';
  return undefined;
}
