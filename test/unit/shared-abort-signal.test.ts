/**
 * Issue 15 (small): more than 10 queued calls sharing one AbortSignal printed Node's
 * MaxListenersExceededWarning (one 'abort' listener per waiter on the caller's signal). Passing a
 * request's signal to each of its queries is normal use: the pool now listens once per signal.
 */
import { getEventListeners } from 'node:events';
import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

function collectWarnings(): { warnings: string[]; stop: () => void } {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  return { warnings, stop: () => process.off('warning', onWarning) };
}

/** Lets process 'warning' events (emitted on the next tick) arrive. */
const ticks = () => new Promise((resolve) => setImmediate(resolve));

describe('one AbortSignal shared by many queued calls', () => {
  it.each([
    ['waiting for a connection', undefined],
    ['waiting for the writer lane of an embedded file', '/tmp/lifeguard-shared-signal.db'],
  ])('30 calls %s: no MaxListenersExceededWarning, and aborting rejects every one with the reason', async (_label, laneKey) => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 10_000 }, (db) => {
      db.writerLaneKey = laneKey;
    });
    const held = laneKey === undefined ? await pool.acquire() : undefined;
    // On the embedded-like pool, a transaction holds the lane while the writes queue behind it.
    let endTransaction: () => void = () => undefined;
    const holding = laneKey === undefined ? undefined : pool.transaction(() => new Promise<void>((resolve) => (endTransaction = resolve)));
    await ticks();
    const { warnings, stop } = collectWarnings();
    try {
      const controller = new AbortController();
      const calls = Array.from({ length: 30 }, (_, i) => pool.query(`insert ${i}`, [], { signal: controller.signal }).then(() => 'resolved', (err: unknown) => err));
      await ticks();
      const reason = new Error('request cancelled');
      controller.abort(reason);
      const outcomes = await Promise.all(calls);
      await ticks();
      expect(outcomes.every((outcome) => outcome === reason)).toBe(true);
      expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
    } finally {
      stop();
      held?.release();
      endTransaction();
      await holding;
    }
  });

  it('a signal that never aborts keeps no listener once its calls settled', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 10_000 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const calls = Array.from({ length: 5 }, () => pool.query('select', [], { signal: controller.signal }));
    await ticks();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    held.release();
    await Promise.all(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
