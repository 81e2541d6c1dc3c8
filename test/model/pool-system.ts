/**
 * The system under test of the pool's model test: one pool over the fake database, every call the
 * commands started, every lease they hold, and the invariants checked after each command.
 *
 * Time is jest's fake clock (Date, performance, every timer): a run is a pure function of the
 * commands fast-check drew, so its seed and path replay it exactly.
 */
import { createPool, LifeguardError, type Pool, type PooledConnection } from '../../src';
import type { Adapter } from '../../adapters/contract';
import type { PoolEventName } from '../../src/pool/events';
import { writerLaneFor } from '../../src/pool/writer-lane';
import { fakeDatabase, type FakeDatabase, type FakeRaw } from '../helpers/fake-adapter';

/** An error the model's own code throws (a transaction body failing on purpose). */
export class ModelError extends Error {}
/** The reason the model aborts a call with. */
export class ModelAbort extends Error {}
/** What the model's throwing listeners throw: it must never reach a caller. */
export class ListenerError extends Error {}

/** The codes the fake database raises: its "own errors", which a caller may see. */
const DATABASE_CODES = new Set(['ESYNTAX', 'ECONNRESET', 'ESERIAL', '57P01', 'ETOOMANY']);

export interface Call {
  readonly id: number;
  readonly what: string;
  readonly startedAt: number;
  /** Fake-clock time by which the call must have settled, whatever happened to the pool. */
  readonly settleBy: number;
  /** What the model requires of the outcome; undefined: any outcome a caller may see. */
  readonly expect: 'closed' | 'released' | 'releasedOrNothing' | 'invalid' | undefined;
  settled: boolean;
  error?: unknown;
}

export interface Lease {
  readonly lease: PooledConnection;
  readonly raw: FakeRaw;
  /** The model gave it back (release, destroy) or its transaction ended: every use must fail now. */
  ended: boolean;
  /** Inside a transaction the pool, not the model, ends the loan. */
  readonly pinned: boolean;
}

export interface SystemOptions {
  max: number;
  embedded: boolean;
  testOnAcquire: boolean;
  maxWaiting: number;
}

let systems = 0;

export class PoolSystem {
  readonly pool: Pool;
  readonly db: FakeDatabase;
  readonly calls: Call[] = [];
  readonly leases: Lease[] = [];
  readonly violations: string[] = [];
  /** Errors the pool reported on 'error' or to its logger: where a listener's exception must go. */
  readonly reported: unknown[] = [];
  readonly throwing = new Map<PoolEventName, () => void>();
  readonly laneKey: string | undefined;
  readonly connectTimeoutMs = 200;
  readonly acquireTimeoutMs = 300;
  closing: Promise<void> | undefined;
  closeSettled = false;
  private nextCall = 1;

  constructor(readonly options: SystemOptions) {
    const { db, url } = fakeDatabase();
    db.abortInFlightOnClose = true;
    // A connect takes a moment, as over any socket; instant ones would let a retry loop starve the fake clock.
    db.connectDelayMs = 1;
    this.laneKey = options.embedded ? `model-lane-${process.pid}-${++systems}` : undefined;
    db.writerLaneKey = this.laneKey;
    this.db = db;
    const record = (obj: object) => this.reported.push(obj);
    this.pool = createPool({
      url,
      env: {},
      name: `model-${systems}`,
      profile: 'test',
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: record },
      min: 0,
      max: options.max,
      acquireTimeoutMs: this.acquireTimeoutMs,
      connectTimeoutMs: this.connectTimeoutMs,
      idleTimeoutMs: 1000,
      maxLifetimeMs: 0,
      testOnAcquire: options.testOnAcquire,
      evictionIntervalMs: 250,
      leakDetectionMs: 0,
      maxWaiting: options.maxWaiting,
      slowQueryMs: 50,
    });
    this.pool.on('error', (e) => this.reported.push(e));
    // The ROLLBACK the pool sends for a connection released inside its transaction takes
    // rollbackDelayMs and fails the moment the connection closes, as over a real socket (the fake's
    // own rollbackDelayMs would outlive the close, a timer no pool could clear).
    const adapter = this.pool.adapter as Adapter<FakeRaw>;
    // A connection that arrives with its socket already dead without a word (a half-open TCP
    // connection): the driver knows nothing, only a round trip finds it.
    const connect = adapter.connect.bind(adapter);
    adapter.connect = async (signal, credentials) => {
      const raw = await connect(signal, credentials);
      if (this.silentDeadNext) {
        this.silentDeadNext = false;
        raw.open = false;
        db.open.delete(raw);
        this.silentlyDead.add(raw);
      }
      return raw;
    };
    const rollback = adapter.rollback.bind(adapter);
    adapter.rollback = async (raw) => {
      if (this.rollbackDelayMs > 0) await db.wait(raw, this.rollbackDelayMs);
      return rollback(raw);
    };
  }

  /** How long a background ROLLBACK takes in this run (drawn by the property). */
  rollbackDelayMs = 0;
  /** The next new connection arrives silently dead. */
  silentDeadNext = false;
  private readonly silentlyDead = new Set<FakeRaw>();
  private readonly lentOnce = new Set<FakeRaw>();

  now(): number {
    return Date.now();
  }

  /** Fake-clock time by which every timer the model itself set has fired. */
  modelTimersDoneAt = 0;

  /** A timer of the model's own (a late query, an abort): kept apart from the pool's in the final count. */
  later(fn: () => void, ms: number): () => void {
    this.modelTimersDoneAt = Math.max(this.modelTimersDoneAt, this.now() + ms);
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  }

  /** Follows a call the model started; its outcome is checked against what the model requires. */
  track<T>(what: string, work: () => Promise<T>, boundMs: number, expect?: Call['expect']): Promise<T | undefined> {
    const call: Call = { id: this.nextCall++, what, startedAt: this.now(), settleBy: this.now() + boundMs, expect, settled: false };
    this.calls.push(call);
    let running: Promise<T>;
    try {
      running = work();
    } catch (err) {
      // A call must report failure through its promise, never by throwing at the caller.
      this.violations.push(`${what} threw synchronously: ${String(err)}`);
      running = Promise.reject(err);
    }
    return running.then(
      (value) => {
        call.settled = true;
        if (expect !== undefined && expect !== 'releasedOrNothing') this.violations.push(`${what} succeeded; the model required it to fail (${expect})`);
        return value;
      },
      (err: unknown) => {
        call.settled = true;
        call.error = err;
        this.judgeError(call, err);
        return undefined;
      },
    );
  }

  private judgeError(call: Call, err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof ListenerError) {
      this.violations.push(`${call.what} failed with a listener's exception: ${err.message}`);
      return;
    }
    if (call.expect === 'closed' && code !== 'POOL_CLOSED') this.violations.push(`${call.what} after close() failed with ${describe(err)}, not POOL_CLOSED`);
    if ((call.expect === 'released' || call.expect === 'releasedOrNothing') && code !== 'CONNECTION_RELEASED') this.violations.push(`${call.what} on an ended lease failed with ${describe(err)}, not CONNECTION_RELEASED`);
    if (call.expect === 'invalid' && code !== 'CONFIG_INVALID') this.violations.push(`${call.what} with an invalid timeoutMs failed with ${describe(err)}, not CONFIG_INVALID`);
    if (err instanceof LifeguardError || err instanceof ModelError || err instanceof ModelAbort) return;
    if (typeof code === 'string' && DATABASE_CODES.has(code)) return;
    this.violations.push(`${call.what} failed with ${describe(err)}: neither a lifeguard error, the database's own, nor the caller's`);
  }

  /** A connection was lent to the model (acquire or a transaction's fn): it must be alive and not lent to anyone else. */
  lent(lease: PooledConnection, pinned: boolean): Lease {
    const raw = lease.raw as FakeRaw;
    const firstLoan = !this.lentOnce.has(raw);
    this.lentOnce.add(raw);
    if (this.silentlyDead.has(raw)) {
      // Only a round trip finds a silent death: testOnAcquire must make one before a new connection's
      // first loan. Without it, or on a later loan inside the 500 ms skip window, lending it is by design.
      if (this.options.testOnAcquire && firstLoan) this.violations.push(`connection ${raw.id}, silently dead on arrival, was lent on its first loan without validation (testOnAcquire)`);
    } else if (!raw.open || raw.broken) this.violations.push(`connection ${raw.id} was lent although the database had already closed it`);
    const holder = this.leases.find((other) => !other.ended && other.raw === raw);
    if (holder) this.violations.push(`connection ${raw.id} was lent twice at once`);
    const entry: Lease = { lease, raw, ended: false, pinned };
    this.leases.push(entry);
    return entry;
  }

  /**
   * A server database knows its session is inside a transaction after a BEGIN sent as SQL, as pg
   * and mysql2 report it; the fake database tracks that only when embedded-like. Without it a
   * lease released inside its transaction would never be rolled back in the background here.
   */
  sawTransactionControl(raw: FakeRaw, sql: string): void {
    if (this.laneKey !== undefined || !raw.open) return;
    if (sql === 'begin') raw.inTx = true;
    else if (sql === 'commit' || sql === 'rollback') raw.inTx = false;
  }

  setThrowing(event: PoolEventName, on: boolean): void {
    const existing = this.throwing.get(event);
    if (existing) this.pool.off(event, existing);
    this.throwing.delete(event);
    if (!on) return;
    const boom = () => {
      throw new ListenerError(`listener for '${event}' throws`);
    };
    this.pool.on(event, boom);
    this.throwing.set(event, boom);
  }

  /** A pool that opens connections without end (for nobody, or as fast as it can) is a failure, not a hang of the test. */
  static readonly CONNECT_STORM = 2000;

  /** The invariants that hold after every command. */
  checkInvariants(where: string): void {
    if (this.db.connects > PoolSystem.CONNECT_STORM && !this.db.connectError) {
      this.violations.push(`${where}: the pool opened ${this.db.connects} connections`);
      this.db.connectError = new Error('the model stopped a connect storm');
    }
    const s = this.pool.stats();
    const fail = (what: string) => this.violations.push(`${where}: ${what} (stats ${JSON.stringify({ total: s.total, active: s.active, idle: s.idle, pending: s.pending, opening: s.opening })})`);
    if (s.total > s.max) fail(`total ${s.total} > max ${s.max}`);
    if (this.db.busyRefusals > 0) fail(`${this.db.busyRefusals} writes met SQLITE_BUSY: two connections wrote to the embedded file at once`);
    for (const key of ['total', 'active', 'idle', 'pending', 'opening'] as const) if (s[key] < 0) fail(`${key} is negative`);
    if (s.active + s.idle > s.total) fail('active + idle > total');
    const open = this.db.unclosed.size;
    if (open !== s.total - s.opening) fail(`the database holds ${open} unclosed connections, stats() says ${s.total - s.opening} open`);
    const out = this.leases.filter((l) => !l.ended).length;
    const unsettled = this.calls.filter((c) => !c.settled).length;
    if (s.active > out + unsettled) fail(`${s.active} connections lent, but the model holds ${out} leases and has ${unsettled} calls in flight`);
    const now = this.now();
    for (const call of this.calls) if (!call.settled && now > call.settleBy) fail(`${call.what} (call ${call.id}) has not settled ${now - call.startedAt} ms after it started`);
    if (this.laneKey && this.calls.every((c) => c.settled) && this.leases.every((l) => l.ended)) {
      const lane = writerLaneFor(this.laneKey) as unknown as { busy: boolean; queued: number };
      if (lane.busy || lane.queued > 0) fail('the writer lane is held with no call in flight and no lease out');
    }
  }

  /** After close() settled: nothing open, nothing counted, no timer left. */
  checkClosed(timersLeft: number): void {
    const s = this.pool.stats();
    if (this.db.unclosed.size > 0) this.violations.push(`after close(): ${this.db.unclosed.size} connections still open on the database`);
    if (s.total !== 0 || s.active !== 0 || s.idle !== 0 || s.pending !== 0) this.violations.push(`after close(): stats ${JSON.stringify({ total: s.total, active: s.active, idle: s.idle, pending: s.pending })}`);
    if (timersLeft > 0) this.violations.push(`after close(): ${timersLeft} timers still pending`);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}(${(err as { code?: string }).code ?? ''}: ${err.message.slice(0, 80)})`;
  return String(err);
}
