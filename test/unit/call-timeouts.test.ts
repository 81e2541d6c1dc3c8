import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

const INVALID = [0, -1, Number.NaN, Infinity, 2 ** 31];

describe('a per-call timeoutMs the pool cannot honour', () => {
  it.each(INVALID)('timeoutMs %p is refused at once with CONFIG_INVALID on every call, even on a busy pool', async (timeoutMs) => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 5000 });
    const held = await pool.acquire();
    const calls = [
      pool.query('select', [], { timeoutMs }),
      pool.acquire({ timeoutMs }),
      pool.transaction(async () => undefined, { timeoutMs }),
      pool.withConnection(async () => undefined, { timeoutMs }),
      pool.reader().query('select', [], { timeoutMs }),
      held.query('select', [], { timeoutMs }),
    ];
    const outcomes = await Promise.race([
      Promise.all(calls.map((call) => call.then(() => 'resolved', (e: { code?: string; setting?: string }) => `${e.code} ${e.setting}`))),
      new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 500 ms'), 500)),
    ]);
    expect(outcomes).toEqual(Array(calls.length).fill('CONFIG_INVALID timeoutMs'));
    held.release();
  });

  it('a valid timeoutMs still bounds the wait', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 5000 });
    const held = await pool.acquire();
    await expect(pool.query('select', [], { timeoutMs: 50 })).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    held.release();
  });
});
