/**
 * DeadlineTracker: every waiter's acquire timeout on one shared timer. Each waiter must still
 * expire at its own deadline, in deadline order, and a served waiter never expires.
 */
import { DeadlineTracker } from '../../src/pool/engine/waiter-deadlines';
import type { QueuedRequest } from '../../src/pool/engine/waiter-queue';

function waiter(name: string): QueuedRequest & { name: string } {
  return { name, state: 'PENDING', promise: Promise.resolve(), reject: () => undefined };
}

describe('DeadlineTracker', () => {
  let expired: Array<{ name: string; at: number; waitedMs: number }>;
  let tracker: DeadlineTracker;
  let start: number;

  beforeEach(() => {
    jest.useFakeTimers();
    start = Date.now();
    expired = [];
    tracker = new DeadlineTracker((request, waitedMs) => {
      // As the engine does: a waiter that timed out is no longer pending.
      request.state = 'REJECTED';
      expired.push({ name: (request as QueuedRequest & { name: string }).name, at: Date.now() - start, waitedMs });
    });
  });

  afterEach(() => {
    tracker.clear();
    jest.useRealTimers();
  });

  it('expires waiters with equal timeouts in arrival order, each at its own deadline', () => {
    for (const [name, arriveAt] of [['a', 0], ['b', 10], ['c', 25]] as const) {
      jest.advanceTimersByTime(arriveAt - (Date.now() - start));
      tracker.add(waiter(name), 100, Date.now());
    }
    jest.advanceTimersByTime(99 - 25);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ name: 'a', at: 100, waitedMs: 100 }]);
    jest.advanceTimersByTime(10);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['a', 100], ['b', 110]]);
    jest.advanceTimersByTime(15);
    expect(expired.map((e) => [e.name, e.at, e.waitedMs])).toEqual([['a', 100, 100], ['b', 110, 100], ['c', 125, 100]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('expires waiters with differing timeouts in deadline order, not arrival order', () => {
    tracker.add(waiter('slow'), 300, Date.now());
    tracker.add(waiter('fast'), 100, Date.now());
    tracker.add(waiter('middle'), 200, Date.now());
    jest.advanceTimersByTime(100);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['fast', 100]]);
    jest.advanceTimersByTime(100);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['fast', 100], ['middle', 200]]);
    jest.advanceTimersByTime(100);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['fast', 100], ['middle', 200], ['slow', 300]]);
  });

  it('re-arms the one timer earlier when a waiter with a shorter deadline arrives', () => {
    tracker.add(waiter('long'), 10_000, Date.now());
    jest.advanceTimersByTime(50);
    tracker.add(waiter('short'), 20, Date.now());
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(20);
    expect(expired).toEqual([{ name: 'short', at: 70, waitedMs: 20 }]);
    jest.advanceTimersByTime(10_000);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['short', 70], ['long', 10_000]]);
  });

  it('never expires a waiter that was served, and still expires the one behind it', () => {
    const served = waiter('served');
    tracker.add(served, 100, Date.now());
    tracker.add(waiter('waiting'), 150, Date.now());
    jest.advanceTimersByTime(40);
    served.state = 'FULFILLED';
    jest.advanceTimersByTime(500);
    expect(expired.map((e) => [e.name, e.at])).toEqual([['waiting', 150]]);
  });

  it('keeps a single timer however many waiters there are', () => {
    for (let i = 0; i < 1000; i++) tracker.add(waiter(`w${i}`), 1000 + (i % 7), Date.now());
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1010);
    expect(expired).toHaveLength(1000);
    expect(expired.every((e) => e.waitedMs >= 1000 && e.waitedMs <= 1006)).toBe(true);
  });

  it('clear() forgets every waiter and leaves no timer', () => {
    tracker.add(waiter('a'), 100, Date.now());
    tracker.add(waiter('b'), 50, Date.now());
    expect(jest.getTimerCount()).toBe(1);
    tracker.clear();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(expired).toEqual([]);
  });

  it('works again after clear()', () => {
    tracker.add(waiter('before'), 100, Date.now());
    tracker.clear();
    tracker.add(waiter('after'), 30, Date.now());
    jest.advanceTimersByTime(30);
    expect(expired.map((e) => e.name)).toEqual(['after']);
  });
});

describe('DeadlineTracker timer', () => {
  it('goes once every waiter it tracks was served, so it cannot keep a finished process alive', () => {
    const tracker = new DeadlineTracker(() => undefined);
    const served = waiter('served');
    tracker.add(served, 60_000, Date.now());
    const timerOf = () => (tracker as unknown as { timer: NodeJS.Timeout | undefined }).timer;
    expect(timerOf()).toBeDefined();
    tracker.forgetServed();
    expect(timerOf()).toBeDefined(); // still waiting: its deadline stands
    served.state = 'RESOLVED';
    tracker.forgetServed();
    expect(timerOf()).toBeUndefined();
    tracker.clear();
  });
});
