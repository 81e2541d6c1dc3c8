/**
 * src/shared/deadline.ts, the one deadline helper, and messageOf: the rule every `...Ms` limit
 * follows (a positive finite number is a limit, 0 or Infinity none), and that a settled wait
 * leaves no timer behind.
 */
import { runInNewContext } from 'node:vm';
import { startDeadline, stopDeadline, withDeadline } from '../../src/shared/deadline';
import { messageOf } from '../../src/shared/message-of';

describe('withDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('settles as the work does when it finishes first, and clears its timer', async () => {
    await expect(withDeadline(Promise.resolve('done'), 100, () => 'late')).resolves.toBe('done');
    await expect(withDeadline(Promise.reject(new Error('boom')), 100, () => 'late')).rejects.toThrow('boom');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('settles with what onTimeout returns, or rejects with what it throws, once the time is up', async () => {
    const never = new Promise<string>(() => undefined);
    const late = withDeadline(never, 100, () => 'late');
    const failed = withDeadline(never, 50, () => {
      throw new Error('too slow');
    });
    const outcomes = Promise.allSettled([late, failed]);
    jest.advanceTimersByTime(49);
    expect(jest.getTimerCount()).toBe(2);
    jest.advanceTimersByTime(51);
    const [first, second] = await outcomes;
    expect(first).toEqual({ status: 'fulfilled', value: 'late' });
    expect(second).toMatchObject({ status: 'rejected', reason: new Error('too slow') });
  });

  it.each([0, -1, Infinity, NaN])('sets no timer for a limit of %p: no limit', (ms) => {
    const work = new Promise<string>(() => undefined);
    expect(withDeadline(work, ms, () => 'late')).toBe(work);
    expect(startDeadline(ms, () => undefined)).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('startDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls expire once the time is up, and never once stopped', () => {
    const expire = jest.fn();
    startDeadline(100, expire);
    const stopped = jest.fn();
    stopDeadline(startDeadline(100, stopped));
    stopDeadline(undefined);
    jest.advanceTimersByTime(100);
    expect(expire).toHaveBeenCalledTimes(1);
    expect(stopped).not.toHaveBeenCalled();
  });
});

describe('messageOf', () => {
  it('gives the message of an error, also of one made in another realm, and the text of anything else', () => {
    const foreign = runInNewContext('new Error("from a vm")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(messageOf(foreign)).toBe('from a vm');
    expect(messageOf(new TypeError('plain'))).toBe('plain');
    expect(messageOf('a string')).toBe('a string');
    expect(messageOf(undefined)).toBe('undefined');
  });
});
