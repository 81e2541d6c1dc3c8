/**
 * The soak behind test/faults/soak-*.test.ts: the model test's invariants (test/model/) against a
 * real database. For SOAK_MS (20 s by default), 50 callers mix pool.query, pool.transaction and
 * acquire() leases, with random aborts and per-call timeouts, while a killer takes this pool's own
 * backends every 100 ms and event listeners throw now and then. Then it checks what a service
 * relies on: nothing unhandled or uncaught, every call settled, nothing of the pool left on the
 * server after close(), a ledger where everything committed is there and nothing reported as
 * definitely not committed is, and every error a caller saw being lifeguard's or the database's
 * own, with its code.
 *
 * The database side (SQL dialect, killer, session count, admin reads) comes from a SoakTarget.
 */
import {
  ConnectionReleasedError,
  LifeguardError,
  PoolClosedError,
  PoolQueueFullError,
  PoolTimeoutError,
  TransactionOutcomeUnknownError,
  type Pool,
  type PoolEventName,
} from '../../../src';
import { sleep } from './fault-pools';

export const SOAK_MS = Number(process.env.SOAK_MS ?? 20_000);
const CALLERS = 50;
const KILL_EVERY_MS = 100;
/** How often a listener throws when its event fires. */
const LISTENER_THROW_RATE = 0.1;
/** How long, once the killer stops, every call still running may take to settle. */
const SETTLE_GRACE_MS = 20_000;

/** The jest timeout a soak test needs: the soak itself, settling, recovery and close. */
export const SOAK_TEST_TIMEOUT_MS = SOAK_MS + 60_000;

export interface SoakTarget {
  label: string;
  pool: Pool;
  /** The ledger table, created empty: (id varchar(64) PRIMARY KEY, amount int NOT NULL). */
  table: string;
  /** Placeholder n (1-based) of the dialect: $n or ?. */
  param(n: number): string;
  /** Kills every backend of this pool alive now; returns how many. */
  kill(): Promise<number>;
  /** This pool's sessions the server (or the embedded engine) still has open. */
  sessions(): Promise<number>;
  /** Rows of the ledger, read on a connection of the test's own, outside the pool. */
  ledgerRows(): Promise<{ id: string; amount: number }[]>;
  /** Whether an error with a code is the database's own (not a bare socket or driver error). */
  isDatabaseError(err: unknown): boolean;
}

/** The caller's own abort reason: seeing it back is the signal working, not an error of the pool. */
class SoakAbort extends Error {
  constructor() {
    super('soak caller aborted');
  }
}

/** What fn throws to roll its transaction back on purpose. */
class SoakRollback extends Error {
  constructor() {
    super('soak transaction rolled back by fn');
  }
}

/** What a listener throws; must never reach a caller. */
class ListenerBomb extends Error {
  constructor(event: string) {
    super(`soak listener for '${event}' threw`);
  }
}

type Outcome = 'committed' | 'notCommitted' | 'unknown';

interface Write {
  /** Ids of the rows this write inserts, all or none. */
  ids: string[];
  amount: number;
  outcome: Outcome;
  via: string;
}

export interface SoakFigures {
  calls: number;
  callsByKind: Record<string, number>;
  errorsByCode: Record<string, number>;
  kills: number;
  committed: number;
  notCommitted: number;
  unknown: number;
  unknownApplied: number;
  listenerThrows: number;
  listenerErrorsReported: number;
  lateLeaseUses: number;
}

export interface SoakResult {
  figures: SoakFigures;
  violations: string[];
}

const rand = (n: number) => Math.floor(Math.random() * n);
const chance = (p: number) => Math.random() < p;

/** The code an error is counted under; undefined when it is none lifeguard or the database would give. */
function codeOf(err: unknown, target: SoakTarget): string | undefined {
  if (err instanceof LifeguardError) return err.code;
  if (err instanceof SoakAbort) return 'caller abort (own signal)';
  if (err instanceof SoakRollback) return 'rolled back by fn (own error)';
  if (target.isDatabaseError(err)) return `db ${String((err as { code: unknown }).code)}`;
  // The socket's own error (ECONNRESET, EPIPE) with its code: the pool passes such errors as they
  // are (src/pool/connection-loss.ts), and a program can branch on the code.
  const { code, syscall } = (err ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && typeof syscall === 'string') return `socket ${code}`;
  return undefined;
}

/**
 * Whether a failed autocommit write provably never reached the server: the pool refused or gave up
 * before sending it. Anything else (a lost connection, a timeout) may have run it.
 */
function writeNeverSent(err: unknown): boolean {
  return (
    err instanceof SoakAbort ||
    err instanceof PoolTimeoutError ||
    err instanceof PoolQueueFullError ||
    err instanceof PoolClosedError ||
    err instanceof ConnectionReleasedError
  );
}

export async function runSoak(target: SoakTarget): Promise<SoakResult> {
  const { pool, table } = target;
  const violations: string[] = [];
  const figures: SoakFigures = {
    calls: 0,
    callsByKind: {},
    errorsByCode: {},
    kills: 0,
    committed: 0,
    notCommitted: 0,
    unknown: 0,
    unknownApplied: 0,
    listenerThrows: 0,
    listenerErrorsReported: 0,
    lateLeaseUses: 0,
  };
  const badErrors = new Map<string, number>();
  const writes: Write[] = [];
  const pending = new Map<number, string>();
  let nextCall = 0;
  let sequence = 0;

  const unhandled: unknown[] = [];
  const uncaught: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  const onUncaught = (err: unknown) => void uncaught.push(err);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);

  // Listeners that throw now and then, on every event the pool's own bookkeeping surrounds.
  const bombed: PoolEventName[] = ['connect', 'acquire', 'release', 'destroy', 'createError', 'acquireTimeout', 'slowQuery', 'utilization'];
  for (const event of bombed) {
    pool.on(event, () => {
      if (!chance(LISTENER_THROW_RATE)) return;
      figures.listenerThrows++;
      throw new ListenerBomb(event);
    });
  }
  pool.on('error', ({ error }) => {
    if (error instanceof ListenerBomb) figures.listenerErrorsReported++;
  });

  const insert = (n: number) => `INSERT INTO ${table} (id, amount) VALUES (${target.param(2 * n - 1)}, ${target.param(2 * n)})`;

  const noteError = (err: unknown, kind: string) => {
    const code = codeOf(err, target);
    if (code !== undefined) {
      figures.errorsByCode[code] = (figures.errorsByCode[code] ?? 0) + 1;
      return;
    }
    const what = `${kind}: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`;
    badErrors.set(what, (badErrors.get(what) ?? 0) + 1);
  };

  /** A call's options: a per-call timeout, a signal that aborts soon, both, or neither. */
  const callOptions = (): { opts: { timeoutMs?: number; signal?: AbortSignal }; done(): void } => {
    const opts: { timeoutMs?: number; signal?: AbortSignal } = {};
    if (chance(0.3)) opts.timeoutMs = 20 + rand(500);
    let timer: NodeJS.Timeout | undefined;
    if (chance(0.25)) {
      const controller = new AbortController();
      opts.signal = controller.signal;
      timer = setTimeout(() => controller.abort(new SoakAbort()), rand(40));
    }
    return { opts, done: () => clearTimeout(timer) };
  };

  /** Runs one call, counted pending until it settles; its error (if any) is noted and returned. */
  const tracked = async <T>(kind: string, run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> => {
    const id = nextCall++;
    figures.calls++;
    figures.callsByKind[kind] = (figures.callsByKind[kind] ?? 0) + 1;
    pending.set(id, kind);
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      noteError(error, kind);
      return { ok: false, error };
    } finally {
      pending.delete(id);
    }
  };

  const autocommitOutcome = (r: { ok: boolean; error?: unknown }): Outcome => (r.ok ? 'committed' : writeNeverSent(r.error) ? 'notCommitted' : 'unknown');

  const queryRead = async () => {
    const { opts, done } = callOptions();
    await tracked('pool.query read', () => pool.query(`SELECT count(*) AS n FROM ${table}`, [], opts));
    done();
  };

  const queryWrite = async () => {
    const id = `q${sequence++}`;
    const amount = 1 + rand(100);
    const { opts, done } = callOptions();
    const r = await tracked('pool.query write', () => pool.query(insert(1), [id, amount], opts));
    done();
    writes.push({ ids: [id], amount, outcome: autocommitOutcome(r), via: 'pool.query' });
  };

  const transaction = async () => {
    const id = `t${sequence++}`;
    const amount = 1 + rand(100);
    const rollBack = chance(0.1);
    const { opts, done } = callOptions();
    const r = await tracked('pool.transaction', () =>
      pool.transaction(
        async (tx) => {
          await tx.query(insert(1), [`${id}a`, amount]);
          if (chance(0.3)) await tx.query(`SELECT count(*) AS n FROM ${table}`);
          await tx.query(insert(1), [`${id}b`, amount]);
          if (rollBack) throw new SoakRollback();
        },
        { ...opts, retries: rand(2) },
      ),
    );
    done();
    // A transaction that failed in any way but outcome-unknown was rolled back: that is its contract.
    const outcome: Outcome = r.ok ? 'committed' : r.error instanceof TransactionOutcomeUnknownError ? 'unknown' : 'notCommitted';
    writes.push({ ids: [`${id}a`, `${id}b`], amount, outcome, via: 'pool.transaction' });
  };

  const lease = async () => {
    const id = `l${sequence++}`;
    const amount = 1 + rand(100);
    const { opts, done } = callOptions();
    const acquired = await tracked('acquire', () => pool.acquire(opts));
    done();
    if (!acquired.ok) return;
    const conn = acquired.value;
    const r = await tracked('lease.query write', () => conn.query(insert(1), [id, amount]));
    writes.push({ ids: [id], amount, outcome: autocommitOutcome(r), via: 'lease.query' });
    if (chance(0.3)) await tracked('lease.query read', () => conn.query(`SELECT count(*) AS n FROM ${table}`));
    const end = Math.random();
    if (end < 0.7) conn.release();
    else if (end < 0.85) conn.release(new Error('soak: caller says this connection is bad'));
    else await tracked('lease.destroy', () => conn.destroy());
    if (chance(0.1)) {
      // A lease is dead once its loan ended: a late statement must be refused, never run elsewhere.
      figures.lateLeaseUses++;
      const late = `late${sequence++}`;
      const used = await conn.query(insert(1), [late, 1]).then(
        () => 'ran',
        (err: unknown) => (err instanceof ConnectionReleasedError ? 'refused' : `failed with ${String(err)}`),
      );
      if (used !== 'refused') violations.push(`a lease used after its end was not refused with CONNECTION_RELEASED: ${used}`);
      writes.push({ ids: [late], amount: 1, outcome: used === 'ran' ? 'committed' : 'notCommitted', via: 'late lease.query' });
    }
  };

  const ops = [queryRead, queryRead, queryRead, queryWrite, queryWrite, transaction, transaction, transaction, lease, lease];
  let running = true;
  const caller = async () => {
    while (running) {
      // Every call's error is caught in tracked(): anything escaping here is the pool throwing where it must not.
      await ops[rand(ops.length)]().catch((err: unknown) => violations.push(`a pool method threw outside a call's promise: ${String(err)}`));
      // A call refused at once (POOL_QUEUE_FULL) settles in a microtask: let timers and I/O run between calls.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  // The counts never go wrong, sampled while it runs.
  const sampler = setInterval(() => {
    const s = pool.stats();
    if (s.total > s.max) violations.push(`total ${s.total} > max ${s.max}`);
    for (const [k, v] of Object.entries({ total: s.total, active: s.active, idle: s.idle, pending: s.pending, opening: s.opening })) {
      if (v < 0) violations.push(`stats().${k} is ${v}`);
    }
    if (s.active + s.idle > s.total) violations.push(`active ${s.active} + idle ${s.idle} > total ${s.total}`);
  }, 50);

  let killing = true;
  const killer = (async () => {
    while (killing) {
      const started = Date.now();
      figures.kills += await target.kill().catch((err: unknown) => {
        violations.push(`the killer failed: ${String(err)}`);
        return 0;
      });
      await sleep(Math.max(0, KILL_EVERY_MS - (Date.now() - started)));
    }
  })();

  try {
    const callers = Array.from({ length: CALLERS }, caller);
    await sleep(SOAK_MS);
    killing = false;
    await killer;
    running = false;
    const all = Promise.all(callers);
    const settled = await Promise.race([all.then(() => true), sleep(SETTLE_GRACE_MS).then(() => false)]);
    if (!settled || pending.size > 0) violations.push(`${pending.size} calls still pending ${SETTLE_GRACE_MS} ms after the killer stopped: ${[...new Set(pending.values())].join(', ')}`);

    // Once the killing stopped, the pool serves again: every new transaction commits.
    const after = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const id = `after${i}`;
        const r = await tracked('pool.transaction after', () => pool.transaction(async (tx) => void (await tx.query(insert(1), [id, 1]))));
        writes.push({ ids: [id], amount: 1, outcome: r.ok ? 'committed' : r.error instanceof TransactionOutcomeUnknownError ? 'unknown' : 'notCommitted', via: 'after' });
        return r.ok;
      }),
    );
    const failedAfter = after.filter((ok) => !ok).length;
    if (failedAfter > 0) violations.push(`${failedAfter}/20 transactions failed after the killer stopped`);

    const closed = await Promise.race([pool.close({ timeoutMs: 5000 }).then(() => true), sleep(15_000).then(() => false)]);
    if (!closed) violations.push('close() did not settle within 15 s');
    const stats = pool.stats();
    if (stats.total !== 0 || stats.active !== 0 || stats.idle !== 0 || stats.pending !== 0) violations.push(`after close(): ${JSON.stringify({ total: stats.total, active: stats.active, idle: stats.idle, pending: stats.pending })}`);
    // A killed or closed backend takes a moment to leave the server's tables.
    let sessions = await target.sessions();
    for (let waited = 0; sessions > 0 && waited < 5000; waited += 100) {
      await sleep(100);
      sessions = await target.sessions();
    }
    if (sessions > 0) violations.push(`${sessions} server sessions of the pool left after close()`);
    // Let anything the drain set off run out before counting what went unhandled.
    await sleep(200);
  } finally {
    killing = false;
    running = false;
    clearInterval(sampler);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }

  if (unhandled.length > 0) violations.push(`${unhandled.length} unhandled rejections, the first: ${String(unhandled[0])}`);
  if (uncaught.length > 0) violations.push(`${uncaught.length} uncaught exceptions, the first: ${String(uncaught[0])}`);
  for (const [what, n] of badErrors) violations.push(`${n}× an error that is neither lifeguard's nor the database's own: ${what}`);

  // The ledger: every committed write is there whole, nothing definitely not committed is, and an
  // outcome-unknown write is there whole or not at all.
  const rows = new Map((await target.ledgerRows()).map((r) => [r.id, Number(r.amount)]));
  const claimed = new Set<string>();
  let committedSum = 0;
  for (const w of writes) {
    const present = w.ids.filter((id) => rows.has(id)).length;
    for (const id of w.ids) claimed.add(id);
    if (present !== 0 && present !== w.ids.length) violations.push(`${w.via} ${w.ids.join('+')} is half applied`);
    if (w.outcome === 'committed') {
      figures.committed++;
      committedSum += w.amount * w.ids.length;
      if (present !== w.ids.length) violations.push(`${w.via} ${w.ids.join('+')} committed but missing from the table`);
    } else if (w.outcome === 'notCommitted') {
      figures.notCommitted++;
      if (present > 0) violations.push(`${w.via} ${w.ids.join('+')} failed as not committed, yet is in the table`);
    } else {
      figures.unknown++;
      if (present > 0) figures.unknownApplied++;
    }
  }
  for (const id of rows.keys()) if (!claimed.has(id)) violations.push(`row ${id} in the table that no caller wrote`);
  const appliedUnknownSum = writes.filter((w) => w.outcome === 'unknown' && rows.has(w.ids[0])).reduce((sum, w) => sum + w.amount * w.ids.length, 0);
  const tableSum = [...rows.values()].reduce((sum, a) => sum + a, 0);
  if (tableSum !== committedSum + appliedUnknownSum) violations.push(`ledger sum ${tableSum} ≠ committed ${committedSum} + applied outcome-unknown ${appliedUnknownSum}`);

  return { figures, violations };
}

/** The `[figure]` lines of a soak, as the other fault tests print theirs. */
export function printFigures(label: string, { figures: f }: SoakResult): void {
  const codes = Object.entries(f.errorsByCode)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const kinds = Object.entries(f.callsByKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  console.log(
    `[figure] soak ${label}: ${SOAK_MS} ms, ${CALLERS} callers, ${f.calls} calls (${kinds}); ${f.kills} backends killed (every ${KILL_EVERY_MS} ms)\n` +
      `[figure] soak ${label} errors by code: ${codes || 'none'}\n` +
      `[figure] soak ${label} ledger: ${f.committed} writes committed, ${f.notCommitted} definitely not committed, ` +
      `${f.unknown} outcome unknown (${f.unknownApplied} of them applied); ` +
      `${f.listenerThrows} listener throws (${f.listenerErrorsReported} reported on 'error'); ${f.lateLeaseUses} late lease uses refused`,
  );
}
