/**
 * A model-based test of the pool's state machine: fast-check draws sequences of what callers,
 * listeners and the network do (acquire, query, transaction, release, release(err), destroy,
 * aborts, per-call timeouts, throwing listeners, connections broken at connect, idle or in use,
 * slow and failing connects, close() at any point, writer-lane use on an embedded-like database)
 * and the invariants in pool-system.ts are checked after every step.
 *
 * Time is simulated with jest's fake timers, so a run depends on nothing but the drawn commands
 * and seed: a failure prints `{ seed, path }`, and FAST_CHECK_SEED / FAST_CHECK_PATH replay it.
 * npm test runs a bounded number of cases; FAST_CHECK_RUNS asks for more.
 */
import fc from 'fast-check';
import { commandArbs, settleMicrotasks, type Model } from './pool-commands';
import { PoolSystem, type SystemOptions } from './pool-system';

const RUNS = Number(process.env.FAST_CHECK_RUNS ?? 150);
const SEED = process.env.FAST_CHECK_SEED !== undefined ? Number(process.env.FAST_CHECK_SEED) : undefined;
const PATH = process.env.FAST_CHECK_PATH;


/** Math.random for one run, from a seed fast-check drew: backoff and jitter replay too. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** After the commands: let every call run out its bounds, close, and check what close() left behind. */
async function finish(sys: PoolSystem): Promise<void> {
  if (process.env.MODEL_TRACE) require('fs').appendFileSync(process.env.MODEL_TRACE, `finish\n`);
  for (let round = 0; round < 5; round++) {
    const horizon = Math.max(0, sys.modelTimersDoneAt - sys.now(), ...sys.calls.filter((c) => !c.settled).map((c) => c.settleBy - sys.now()));
    if (horizon === 0) break;
    await jest.advanceTimersByTimeAsync(horizon + 1);
    await settleMicrotasks();
    sys.checkInvariants('after every call ran out its time');
  }
  if (!sys.closing) sys.closing = sys.pool.close({ timeoutMs: 200 }).then(() => void (sys.closeSettled = true));
  for (let waited = 0; !sys.closeSettled && waited < 10_000; waited += 50) {
    await jest.advanceTimersByTimeAsync(50);
    sys.checkInvariants('while close() drains');
  }
  await settleMicrotasks();
  if (!sys.closeSettled) {
    sys.violations.push('close() did not settle within 10 s');
    return;
  }
  const unsettled = sys.calls.filter((c) => !c.settled);
  for (const call of unsettled) sys.violations.push(`after close() settled, ${call.what} (call ${call.id}) is still pending`);
  sys.checkClosed(jest.getTimerCount());
}

const optionsArb: fc.Arbitrary<SystemOptions> = fc.record({
  max: fc.integer({ min: 1, max: 4 }),
  embedded: fc.boolean(),
  testOnAcquire: fc.boolean(),
  maxWaiting: fc.constantFrom(0, 0, 2),
});

const ROLLBACK_DELAYS_MS = [0, 50, 400, 1500];

/** The property: any drawn sequence of commands keeps every invariant. */
function poolProperty() {
  return fc.asyncProperty(optionsArb, fc.integer(), fc.commands(commandArbs, { maxCommands: 60, size: 'medium' }), async (options, randomSeed, commands) => {
    jest.clearAllTimers();
    jest.setSystemTime(1_700_000_000_000);
    jest.spyOn(Math, 'random').mockImplementation(seededRandom(randomSeed));
    const sys = new PoolSystem(options);
    // Some runs roll back slowly, so a connection released inside a transaction may still be rolling
    // back when close() comes. Taken from the run's seed, not a new arbitrary: recorded seeds still
    // draw the same commands.
    sys.rollbackDelayMs = ROLLBACK_DELAYS_MS[Math.abs(randomSeed) % ROLLBACK_DELAYS_MS.length];
    if (process.env.MODEL_TRACE) require('fs').appendFileSync(process.env.MODEL_TRACE, `--- run ${JSON.stringify(options)}\n`);
    const model: Model = { closed: false };
    await fc.asyncModelRun(() => ({ model, real: sys }), commands);
    await finish(sys);
    if (sys.violations.length > 0) throw new Error(`invariants broken:\n  ${[...new Set(sys.violations)].slice(0, 8).join('\n  ')}`);
  });
}

const KNOWN_SEEDS = [
  { seed: -1426234048, found: 'a transaction fn was handed a connection close() had taken back during BEGIN' },
];

describe('pool state machine (fast-check model)', () => {
  beforeAll(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterAll(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('keeps every invariant whatever callers, listeners and the network do', async () => {
    await fc.assert(poolProperty(), { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), ...(PATH !== undefined ? { path: PATH } : {}), endOnFailure: false, verbose: 1 });
  }, 600_000);

  // Seeds that once found a defect, replayed on every run so the defect cannot come back unseen.
  it.each(KNOWN_SEEDS)('replays seed $seed ($found)', async ({ seed }) => {
    await fc.assert(poolProperty(), { numRuns: 150, seed, endOnFailure: false, verbose: 1 });
  }, 600_000);
});
