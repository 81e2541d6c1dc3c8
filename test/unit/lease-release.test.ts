/**
 * What a holder gives back decides what happens to the connection: as with pg's release(err),
 * any truthy argument destroys it; a connection its holder closed, or whose socket closed
 * without a word, is destroyed too, never lent again.
 */
import type { FakeRaw } from '../helpers/fake-adapter';
import { closeFakePools, fakePool, settle } from '../helpers/pools';

afterEach(closeFakePools);

describe('PooledConnection.release(err)', () => {
  it.each([
    ['an Error that did not break the connection', new Error('the caller saw something it did not like')],
    ['true', true],
    ['a truthy string', 'destroy'],
    ['a number', 1],
  ])('destroys the connection when given %s', async (_label, arg) => {
    const { pool } = fakePool({ max: 1 });
    const destroyed: string[] = [];
    pool.on('destroy', (e) => destroyed.push(e.reason));
    const first = await pool.acquire();
    const id = first.id;
    first.release(arg);
    await settle();
    expect(destroyed).toEqual(['broken']);
    const second = await pool.acquire();
    expect(second.id).not.toBe(id);
    second.release();
  });

  it.each([
    ['nothing', undefined],
    ['false', false],
    ['null', null],
    ['0', 0],
    ['an empty string', ''],
  ])('gives the connection back for reuse when given %s', async (_label, arg) => {
    const { pool } = fakePool({ max: 1 });
    const first = await pool.acquire();
    const id = first.id;
    first.release(arg);
    const second = await pool.acquire();
    expect(second.id).toBe(id);
    second.release();
  });

  it('keeps the connection when a withConnection function throws an error that did not break it', async () => {
    const { pool } = fakePool({ max: 1 });
    const id = await pool.withConnection(async (conn) => conn.id);
    await expect(
      pool.withConnection(async () => {
        throw new Error('a business rule said no');
      }),
    ).rejects.toThrow('a business rule said no');
    expect(await pool.withConnection(async (conn) => conn.id)).toBe(id);
  });
});

describe('a connection its holder closed', () => {
  it('is destroyed when its holder closed it and then released it, and never lent again', async () => {
    const { pool, db } = fakePool({ max: 1 });
    const destroyed: string[] = [];
    pool.on('destroy', (e) => destroyed.push(e.reason));
    const lease = await pool.acquire();
    const id = lease.id;
    db.closeQuietly(lease.raw as FakeRaw);
    lease.release();
    await settle();
    expect(destroyed).toEqual(['broken']);
    const next = await pool.acquire();
    expect(next.id).not.toBe(id);
    expect((await next.query<{ connectionId: number }>('SELECT 1')).rows).toEqual([{ connectionId: (next.raw as FakeRaw).id }]);
    next.release();
  });

});

describe("query(sql, params, { rowMode: 'array' })", () => {
  it('asks the adapter for array rows, from the pool, a lease and a transaction alike', async () => {
    const { pool } = fakePool({ max: 1 });
    expect((await pool.query('SELECT 1', [], { rowMode: 'array' })).rows).toEqual([[expect.any(Number)]]);
    await pool.withConnection(async (conn) => expect((await conn.query('SELECT 1', [], { rowMode: 'array' })).rows).toEqual([[(conn.raw as FakeRaw).id]]));
    await pool.transaction(async (tx) => expect((await tx.query('SELECT 1', [], { rowMode: 'array' })).rows).toHaveLength(1));
  });
});
