/**
 * Prisma 7 over a PgPool, through @prisma/adapter-pg, used through Prisma's own API. The client is
 * generated from test/integrations/prisma/schema.prisma by scripts/prisma-generate.js (jest's
 * globalSetup and `npm run typecheck` run it; it works offline). Tables are made with SQL in a
 * schema of this run's own: `prisma migrate` would need Prisma's schema engine, a download.
 */
import { Client } from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { Registry } from 'prom-client';
import { registerPoolMetrics } from '../../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../../helpers/databases';
import { endPgPools, operationCount, terminateBackend, testPgPool } from '../../helpers/pg-pools';
import { Prisma, PrismaClient } from './prisma/generated/client';

const schema = uniqueName('lg_prisma');


describePostgres('Prisma 7 (@prisma/adapter-pg) over a PgPool', () => {
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${schema}_admin` });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}."User" (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text)`);
    await admin.query(`CREATE TABLE ${schema}."Post" (id serial PRIMARY KEY, title text NOT NULL, "authorId" int NOT NULL REFERENCES ${schema}."User"(id))`);
  });
  afterEach(endPgPools);
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  function prismaOver(pool: ReturnType<typeof testPgPool>): PrismaClient {
    return new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
  }

  it('does CRUD, with the queries seen by lifeguard (acquires and the operation histogram move)', async () => {
    const pool = testPgPool();
    const registry = new Registry();
    registerPoolMetrics(pool.lifeguard, registry);
    const prisma = prismaOver(pool);
    const ada = await prisma.user.create({ data: { email: `${schema}-ada@example.com`, name: 'Ada', posts: { create: [{ title: 'Notes' }] } } });
    expect(await prisma.user.findUnique({ where: { id: ada.id }, include: { posts: true } })).toMatchObject({ name: 'Ada', posts: [{ title: 'Notes' }] });
    await prisma.user.update({ where: { id: ada.id }, data: { name: 'Ada L.' } });
    expect((await prisma.user.findMany({ where: { name: { startsWith: 'Ada' } } })).map((u) => u.name)).toEqual(['Ada L.']);
    await prisma.post.deleteMany({ where: { authorId: ada.id } });
    await prisma.user.delete({ where: { id: ada.id } });
    expect(await prisma.user.count({ where: { id: ada.id } })).toBe(0);
    expect(pool.lifeguard.stats().counters.acquires).toBeGreaterThanOrEqual(6);
    expect(await operationCount(registry)).toBeGreaterThanOrEqual(7);
    await prisma.$disconnect();
  });

  it('commits an interactive $transaction and a batch $transaction', async () => {
    const prisma = prismaOver(testPgPool());
    const user = await prisma.$transaction(async (tx) => {
      const u = await tx.user.create({ data: { email: `${schema}-tx@example.com` } });
      await tx.post.create({ data: { title: 'in tx', authorId: u.id } });
      return u;
    });
    const [users, posts] = await prisma.$transaction([prisma.user.count({ where: { id: user.id } }), prisma.post.count({ where: { authorId: user.id } })]);
    expect([users, posts]).toEqual([1, 1]);
    await prisma.$disconnect();
  });

  it('rolls an interactive $transaction back when its function throws', async () => {
    const prisma = prismaOver(testPgPool());
    const email = `${schema}-rolled-back@example.com`;
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { email } });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await prisma.user.count({ where: { email } })).toBe(0);
    await prisma.$disconnect();
  });

  it('reports a serialization failure as Prisma does (P2034)', async () => {
    const prisma = prismaOver(testPgPool());
    const user = await prisma.user.create({ data: { email: `${schema}-serial@example.com`, name: '' } });
    let reads = 0;
    let bothRead!: () => void;
    const readsDone = new Promise<void>((resolve) => (bothRead = resolve));
    const writer = (suffix: string) =>
      prisma.$transaction(
        async (tx) => {
          const row = await tx.user.findUniqueOrThrow({ where: { id: user.id } });
          if (++reads === 2) bothRead();
          await readsDone;
          await tx.user.update({ where: { id: user.id }, data: { name: row.name + suffix } });
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
      );
    const outcomes = await Promise.allSettled([writer('a'), writer('b')]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect(failed[0].reason).toMatchObject({ code: 'P2034' });
    await prisma.$disconnect();
  });

  it('runs the next query on a new backend after the one under it was terminated', async () => {
    const pool = testPgPool({ max: 1 });
    const prisma = prismaOver(pool);
    const [{ pid }] = await prisma.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
    await terminateBackend(pid);
    const [{ pid: next }] = await prisma.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
    expect(next).not.toBe(pid);
    await prisma.$disconnect();
  });

  it('destroys a connection whose backend is killed under a Prisma transaction, and the next query runs on a new one', async () => {
    const pool = testPgPool({ max: 1 });
    const destroyed: string[] = [];
    pool.lifeguard.on('destroy', (e) => destroyed.push(e.reason));
    const prisma = prismaOver(pool);
    let killedPid = 0;
    const outcome = await prisma
      .$transaction(async (tx) => {
        const [{ pid }] = await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
        killedPid = pid;
        await terminateBackend(pid);
        await tx.user.count();
      })
      .then(
        () => 'committed',
        (err: Error) => err.message,
      );
    expect(outcome).not.toBe('committed');
    const [{ pid: next }] = await prisma.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
    expect(next).not.toBe(killedPid);
    expect(destroyed).toContain('broken');
    await prisma.$disconnect();
  });

  it('gives the caller an error that says "timeout" when the pool is exhausted', async () => {
    const pool = testPgPool({ max: 1, connectionTimeoutMillis: 400 });
    const prisma = prismaOver(pool);
    const held = await pool.connect();
    await expect(prisma.user.count()).rejects.toThrow(/timeout/);
    held.release();
    expect(await prisma.user.count()).toBeGreaterThanOrEqual(0);
    await prisma.$disconnect();
  });
});
