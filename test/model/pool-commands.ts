/**
 * The commands of the pool's model test: each one a thing a caller, a listener or the network can
 * do to a pool, drawn by fast-check in random order with random arguments.
 */
import fc from 'fast-check';
import type { PoolEventName } from '../../src/pool/events';
import { ModelAbort, ModelError, type PoolSystem } from './pool-system';

/** What the model knows without looking at the pool. */
export interface Model {
  closed: boolean;
}

type Cmd = fc.AsyncCommand<Model, PoolSystem>;

/** Drains promise callbacks without moving the fake clock (setImmediate is left real). */
export async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Every command: do its thing, let the promises it started move, then check the invariants. */
abstract class Step implements Cmd {
  abstract act(model: Model, sys: PoolSystem): Promise<void>;
  abstract check(model: Readonly<Model>): boolean;
  abstract toString(): string;
  async run(model: Model, sys: PoolSystem): Promise<void> {
    if (process.env.MODEL_TRACE) require('fs').appendFileSync(process.env.MODEL_TRACE, `${this.toString()}\n`);
    await this.act(model, sys);
    await settleMicrotasks();
    sys.checkInvariants(`after ${this.toString()}`);
  }
}

/** A per-call timeoutMs: left out, a valid one, or one the pool must refuse (0, −1, NaN). */
export type Timeout = { kind: 'default' } | { kind: 'valid'; ms: number } | { kind: 'invalid'; value: number };

const timeoutArb: fc.Arbitrary<Timeout> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Timeout>({ kind: 'default' }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 400 }).map<Timeout>((ms) => ({ kind: 'valid', ms })) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, Number.NaN).map<Timeout>((value) => ({ kind: 'invalid', value })) },
);

/** SQL the fake database understands: a read, a write (takes the writer lane), a slow one, a failing one, one that breaks the connection. */
const sqlArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('select', 'insert') },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }).map((ms) => `sleep ${ms}`) },
  { weight: 1, arbitrary: fc.constantFrom('fail', 'break') },
);

/** A lease also sends transaction control as SQL, the way a data layer does: on an embedded file it must hold the writer lane from its first write to its COMMIT. */
const leaseSqlArb = fc.oneof({ weight: 3, arbitrary: sqlArb }, { weight: 1, arbitrary: fc.constantFrom('begin', 'commit', 'rollback') });

const abortArb = fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined, freq: 4 });

function sqlMs(sql: string): number {
  const sleep = /^sleep (\d+)$/.exec(sql);
  return sleep ? Number(sleep[1]) : 0;
}

function timeoutValue(t: Timeout): number | undefined {
  return t.kind === 'default' ? undefined : t.kind === 'valid' ? t.ms : t.value;
}

function timeoutText(t: Timeout): string {
  return t.kind === 'default' ? '' : `, timeoutMs: ${String(timeoutValue(t))}`;
}

/** How long a call may take at most, whatever the pool goes through: its waits, its work, and a generous margin. */
function bound(sys: PoolSystem, t: Timeout, workMs: number): number {
  const waitMs = t.kind === 'valid' ? t.ms : sys.acquireTimeoutMs;
  return 3 * waitMs + 2 * sys.connectTimeoutMs + workMs + 1000;
}

/** What the model requires of a call's outcome, in the order the pool checks. */
function expectation(model: Model, t: Timeout): 'closed' | 'invalid' | undefined {
  if (model.closed) return 'closed';
  return t.kind === 'invalid' ? 'invalid' : undefined;
}

/** The shortest abort delays stand for a signal already aborted when the call is made (a request that had already gone away). */
function alreadyAborted(ms: number | undefined): boolean {
  return ms !== undefined && ms < 15;
}

/** A call with an already-aborted signal settles before the clock moves, whatever holds the pool or its writer lane. */
function boundFor(sys: PoolSystem, t: Timeout, workMs: number, abortMs: number | undefined): number {
  return alreadyAborted(abortMs) ? 0 : bound(sys, t, workMs);
}

function abortText(abortMs: number | undefined): string {
  if (abortMs === undefined) return '';
  return alreadyAborted(abortMs) ? ', already aborted' : `, abort after ${abortMs} ms`;
}

/** An AbortSignal that aborts after ms of fake time; its timer is cleared once the call settles. */
function abortAfter(sys: PoolSystem, ms: number | undefined): { signal?: AbortSignal; done: () => void } {
  if (ms === undefined) return { done: () => undefined };
  const controller = new AbortController();
  if (alreadyAborted(ms)) {
    controller.abort(new ModelAbort('aborted before the call'));
    return { signal: controller.signal, done: () => undefined };
  }
  const done = sys.later(() => controller.abort(new ModelAbort('aborted by the model')), ms);
  return { signal: controller.signal, done };
}

class Acquire extends Step {
  constructor(
    readonly timeout: Timeout,
    readonly abortMs: number | undefined,
  ) {
    super();
  }
  check = () => true;
  async act(model: Model, sys: PoolSystem): Promise<void> {
    const abort = abortAfter(sys, this.abortMs);
    const timeoutMs = timeoutValue(this.timeout);
    void sys
      .track('acquire', () => sys.pool.acquire({ ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(abort.signal ? { signal: abort.signal } : {}) }), boundFor(sys, this.timeout, 0, this.abortMs), expectation(model, this.timeout))
      .then((lease) => {
        abort.done();
        if (lease) sys.lent(lease, false);
      });
  }
  toString = () => `acquire({${timeoutText(this.timeout).slice(2)}${abortText(this.abortMs)}})`;
}

/** Picks the pick-th lease (modulo) among those matching. */
function pickLease(sys: PoolSystem, pick: number, ended: boolean, pinned?: boolean) {
  const candidates = sys.leases.filter((l) => l.ended === ended && (pinned === undefined || l.pinned === pinned));
  return candidates.length === 0 ? undefined : candidates[pick % candidates.length];
}

class Release extends Step {
  constructor(
    readonly pick: number,
    readonly withError: boolean,
  ) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const entry = pickLease(sys, this.pick, false, false);
    if (!entry) return;
    entry.ended = true;
    try {
      entry.lease.release(this.withError ? new ModelError('the caller saw this connection fail') : undefined);
    } catch (err) {
      sys.violations.push(`release() of a live lease threw: ${String(err)}`);
    }
  }
  toString = () => `release(lease #${this.pick}${this.withError ? ', err' : ''})`;
}

/**
 * A caller that opens a transaction on its lease and gives the lease back without COMMIT or
 * ROLLBACK: the pool rolls it back in the background before anyone else gets the connection,
 * and close() must neither return it to a stopped pool nor leave it open.
 */
class ReleaseInTransaction extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const entry = pickLease(sys, this.pick, false, false);
    if (!entry) return;
    void sys.track(
      'begin on a lease, then release() without COMMIT',
      async () => {
        await entry.lease.query('begin');
        sys.sawTransactionControl(entry.raw, 'begin');
        // Another command may have ended the lease while BEGIN ran.
        if (entry.ended) return;
        entry.ended = true;
        entry.lease.release();
      },
      1000,
    );
  }
  toString = () => `begin on lease #${this.pick}, then release() without COMMIT`;
}

class Destroy extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const entry = pickLease(sys, this.pick, false, false);
    if (!entry) return;
    entry.ended = true;
    void sys.track('lease.destroy()', () => entry.lease.destroy(), 1000);
  }
  toString = () => `destroy(lease #${this.pick})`;
}

class LeaseQuery extends Step {
  constructor(
    readonly pick: number,
    readonly sql: string,
  ) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const entry = pickLease(sys, this.pick, false, false);
    if (!entry) return;
    void sys.track(
      `lease.query(${this.sql})`,
      async () => {
        const result = await entry.lease.query(this.sql);
        sys.sawTransactionControl(entry.raw, this.sql);
        return result;
      },
      sqlMs(this.sql) + 1000,
    );
  }
  toString = () => `lease #${this.pick}.query(${this.sql})`;
}

/** Uses a lease after its end: every use must fail with CONNECTION_RELEASED. */
class StaleUse extends Step {
  constructor(
    readonly pick: number,
    readonly op: 'query' | 'release' | 'destroy',
  ) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const entry = pickLease(sys, this.pick, true);
    if (!entry) return;
    if (this.op === 'query') void sys.track('query on an ended lease', () => entry.lease.query('insert'), 1000, 'released');
    // release() and destroy() of a lease close() took back are no-ops (the holder finishing late is no bug); otherwise they fail.
    else if (this.op === 'destroy') void sys.track('destroy() on an ended lease', () => entry.lease.destroy(), 1000, 'releasedOrNothing');
    else {
      try {
        entry.lease.release();
      } catch (err) {
        if (!entry.pinned && (err as { code?: string }).code !== 'CONNECTION_RELEASED') sys.violations.push(`release() on an ended lease threw ${String(err)}, not CONNECTION_RELEASED`);
      }
    }
  }
  toString = () => `${this.op}() on ended lease #${this.pick}`;
}

class Query extends Step {
  constructor(
    readonly sql: string,
    readonly timeout: Timeout,
    readonly abortMs: number | undefined,
  ) {
    super();
  }
  check = () => true;
  async act(model: Model, sys: PoolSystem): Promise<void> {
    const abort = abortAfter(sys, this.abortMs);
    const timeoutMs = timeoutValue(this.timeout);
    const opts = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(abort.signal ? { signal: abort.signal } : {}) };
    void sys.track(`query(${this.sql})`, () => sys.pool.query(this.sql, [], opts), boundFor(sys, this.timeout, sqlMs(this.sql), this.abortMs), expectation(model, this.timeout)).then(abort.done);
  }
  toString = () => `query(${this.sql}${timeoutText(this.timeout)}${abortText(this.abortMs)})`;
}

type Ending = 'commit' | 'throw' | 'destroy';

class Transaction extends Step {
  constructor(
    readonly steps: string[],
    readonly ending: Ending,
    readonly lateUseMs: number | undefined,
    readonly timeout: Timeout,
  ) {
    super();
  }
  check = () => true;
  async act(model: Model, sys: PoolSystem): Promise<void> {
    const timeoutMs = timeoutValue(this.timeout);
    const workMs = this.steps.reduce((sum, sql) => sum + sqlMs(sql), 0);
    const expect = expectation(model, this.timeout);
    const tracked = sys
      .track(
        'transaction',
        () =>
          sys.pool.transaction(
            async (tx) => {
              const entry = sys.lent(tx, true);
              try {
                for (const sql of this.steps) await tx.query(sql);
                if (this.lateUseMs !== undefined) {
                  // Work the body forgot to await: it runs after the transaction ended and must be refused.
                  const late = this.lateUseMs;
                  sys.later(() => void sys.track('late tx.query', () => tx.query('insert'), 1000, 'released'), late);
                }
                if (this.ending === 'throw') throw new ModelError('the transaction body fails');
                if (this.ending === 'destroy') await tx.destroy();
                return 'done';
              } finally {
                entry.ended = true;
              }
            },
            timeoutMs !== undefined ? { timeoutMs } : {},
          ),
        // A body that throws is rolled back, and a ROLLBACK may be slow in this run.
        bound(sys, this.timeout, workMs + sys.rollbackDelayMs),
        expect,
      );
    // track() recorded this call last, synchronously; later calls (a late tx.query) come after it.
    const call = sys.calls[sys.calls.length - 1];
    void tracked.then(() => {
      if (this.ending === 'destroy' && (call.error as { code?: string } | undefined)?.code === 'TRANSACTION_OUTCOME_UNKNOWN') {
        sys.violations.push('a transaction whose connection its body destroyed reported TRANSACTION_OUTCOME_UNKNOWN, although COMMIT was never sent');
      }
      // Nothing can be committed on a connection the body destroyed: the caller must not be told it was.
      if (this.ending === 'destroy' && call.settled && call.error === undefined) {
        sys.violations.push('a transaction whose body destroyed its connection resolved, as if it had committed');
      }
    });
  }
  toString = () => `transaction([${this.steps.join(', ')}], ${this.ending}${this.lateUseMs !== undefined ? `, late use after ${this.lateUseMs} ms` : ''}${timeoutText(this.timeout)})`;
}

const EVENTS: PoolEventName[] = ['connect', 'acquire', 'release', 'destroy', 'createError', 'acquireTimeout', 'slowQuery', 'utilization', 'error'];

class Listener extends Step {
  constructor(
    readonly event: PoolEventName,
    readonly on: boolean,
  ) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    sys.setThrowing(this.event, this.on);
  }
  toString = () => `${this.on ? 'throwing' : 'quiet'} listener on '${this.event}'`;
}

class Kill extends Step {
  constructor(
    readonly inUse: boolean,
    readonly pick: number,
  ) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const held = new Set(sys.leases.filter((l) => !l.ended).map((l) => l.raw));
    const candidates = [...sys.db.unclosed].filter((raw) => raw.open && held.has(raw) === this.inUse);
    if (candidates.length > 0) sys.db.kill(candidates[this.pick % candidates.length]);
  }
  toString = () => `kill an ${this.inUse ? 'in-use' : 'idle'} connection (#${this.pick})`;
}

type ConnectMode = { kind: 'ok' } | { kind: 'slow'; ms: number } | { kind: 'fail' } | { kind: 'deadOnArrival' } | { kind: 'silentlyDeadOnArrival' };

class Connects extends Step {
  constructor(readonly mode: ConnectMode) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    const { db } = sys;
    // A connect takes at least a moment, as over any socket: the pool retries a dead-on-arrival
    // connection at once, and with instant connects that loop would never let the fake clock move.
    db.connectDelayMs = this.mode.kind === 'slow' ? this.mode.ms : 1;
    db.connectError = this.mode.kind === 'fail' ? Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }) : undefined;
    // One connection dead on arrival, as in pg's race. A database that kills every new connection
    // makes the pool reconnect at connect speed without backoff (a known gap, see the issue's note).
    db.deadOnArrival = this.mode.kind === 'deadOnArrival';
    db.deadOnArrivalOnce = true;
    // The next connection's socket dies without a word (the driver knows nothing): only validation finds it.
    sys.silentDeadNext = this.mode.kind === 'silentlyDeadOnArrival';
  }
  toString = () => `connections from now: ${this.mode.kind}${this.mode.kind === 'slow' ? ` ${this.mode.ms} ms` : ''}`;
}

class Advance extends Step {
  constructor(readonly ms: number) {
    super();
  }
  check = () => true;
  async act(): Promise<void> {
    await jest.advanceTimersByTimeAsync(this.ms);
  }
  toString = () => `advance ${this.ms} ms`;
}

class Close extends Step {
  constructor(readonly timeoutMs: number) {
    super();
  }
  check = (model: Model) => !model.closed;
  async act(model: Model, sys: PoolSystem): Promise<void> {
    model.closed = true;
    sys.closing = sys.track('close()', () => sys.pool.close({ timeoutMs: this.timeoutMs }), this.timeoutMs + 3000).then(() => {
      sys.closeSettled = true;
    });
  }
  toString = () => `close({ timeoutMs: ${this.timeoutMs} })`;
}

class Health extends Step {
  constructor(readonly timeoutMs: number) {
    super();
  }
  check = () => true;
  async act(_model: Model, sys: PoolSystem): Promise<void> {
    void sys.track('health()', () => sys.pool.health({ timeoutMs: this.timeoutMs }), this.timeoutMs + 100);
  }
  toString = () => `health({ timeoutMs: ${this.timeoutMs} })`;
}

const pick = fc.nat({ max: 7 });

/** fc.commands draws each arbitrary alike: the ones listed twice or thrice are what a pool mostly sees. */
const acquireArb = fc.tuple(timeoutArb, abortArb).map(([t, a]) => new Acquire(t, a));
const queryArb = fc.tuple(sqlArb, timeoutArb, abortArb).map(([sql, t, a]) => new Query(sql, t, a));
const transactionArb = fc
  .tuple(fc.array(sqlArb, { maxLength: 3 }), fc.constantFrom<Ending>('commit', 'commit', 'throw', 'destroy'), fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined, freq: 3 }), timeoutArb)
  .map(([steps, ending, late, t]) => new Transaction(steps, ending, late, t));
const advanceArb = fc.integer({ min: 1, max: 500 }).map((ms) => new Advance(ms));

export const commandArbs: fc.Arbitrary<Cmd>[] = [
  acquireArb,
  queryArb,
  queryArb,
  transactionArb,
  transactionArb,
  advanceArb,
  advanceArb,
  advanceArb,
  fc.tuple(pick, fc.boolean()).map(([p, e]) => new Release(p, e)),
  pick.map((p) => new Destroy(p)),
  pick.map((p) => new ReleaseInTransaction(p)),
  fc.tuple(pick, leaseSqlArb).map(([p, sql]) => new LeaseQuery(p, sql)),
  fc.tuple(pick, fc.constantFrom<'query' | 'release' | 'destroy'>('query', 'release', 'destroy')).map(([p, op]) => new StaleUse(p, op)),
  fc.tuple(fc.constantFrom(...EVENTS), fc.boolean()).map(([e, on]) => new Listener(e, on)),
  fc.tuple(fc.boolean(), pick).map(([inUse, p]) => new Kill(inUse, p)),
  fc
    .oneof(
      fc.constant<ConnectMode>({ kind: 'ok' }),
      fc.integer({ min: 1, max: 400 }).map<ConnectMode>((ms) => ({ kind: 'slow', ms })),
      fc.constant<ConnectMode>({ kind: 'fail' }),
      fc.constant<ConnectMode>({ kind: 'deadOnArrival' }),
      fc.constant<ConnectMode>({ kind: 'silentlyDeadOnArrival' }),
    )
    .map((mode) => new Connects(mode)),
  fc.integer({ min: 0, max: 500 }).map((ms) => new Close(ms)),
  fc.integer({ min: 1, max: 500 }).map((ms) => new Health(ms)),
];
