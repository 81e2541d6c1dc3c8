/**
 * Data-layer queries through lifeguard/pg are traced as lifeguard's own statements: PgPool.query,
 * a PoolClient's query from pool.connect(), and Drizzle (drizzle-orm/node-postgres) over a PgPool
 * with its own query builder and transaction API. Each is a CLIENT span, a child of the caller's
 * active span (or, inside a transaction, of the transaction span, itself the caller's child),
 * with db.query.text and never a parameter value. lifeguard/libsql and lifeguard/kysely are proven
 * the same way in tracing-databases.test.ts.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, serial, text } from 'drizzle-orm/pg-core';
import { describePostgres, uniqueName } from '../helpers/databases';
import { endPgPools, testPgPool } from '../helpers/pg-pools';
import { finishedSpans, parentOf, printedSpan, startTracing, stopTracing, withinParent, type Tracing } from '../helpers/tracing';

const PARAM = 'param-value-1717-w17';
const table = uniqueName('lg_trace_pg');
const notes = pgTable(table, { id: serial('id').primaryKey(), body: text('body').notNull() });

let tracing: Tracing;

const spansOfPool = async (name: string): Promise<ReadableSpan[]> =>
  (await finishedSpans(tracing)).filter((s) => s.attributes['db.client.connection.pool.name'] === name);
const statements = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.query.text'] !== undefined);

describePostgres('tracing through lifeguard/pg on PostgreSQL', () => {
  beforeAll(async () => {
    tracing = startTracing();
    const setup = testPgPool();
    await setup.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, body text NOT NULL)`);
    await endPgPools();
  });
  afterEach(endPgPools);
  afterAll(async () => {
    const setup = testPgPool();
    await setup.query(`DROP TABLE IF EXISTS ${table}`);
    await endPgPools();
    expect((await finishedSpans(tracing)).map(printedSpan).join('\n')).not.toContain(PARAM);
    await stopTracing(tracing);
  });

  it('PgPool.query and a PoolClient’s query are client spans under the caller, with the text and no parameters', async () => {
    const pool = testPgPool();
    const { parentId, traceId } = await withinParent('GET /notes', async () => {
      await pool.query(`INSERT INTO ${table} (body) VALUES ($1)`, [PARAM]);
      const client = await pool.connect();
      try {
        await client.query(`SELECT id FROM ${table} WHERE body = $1`, [PARAM]);
      } finally {
        client.release();
      }
    });
    const spans = statements(await spansOfPool(pool.lifeguard.name));
    const insert = spans.find((s) => s.name === `INSERT ${table}`);
    const select = spans.find((s) => s.name === `SELECT ${table}`);
    expect(insert?.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.query.text': `INSERT INTO ${table} (body) VALUES ($1)` });
    expect(select?.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.query.text': `SELECT id FROM ${table} WHERE body = $1` });
    for (const s of [insert, select] as ReadableSpan[]) {
      expect(parentOf(s)).toBe(parentId);
      expect(s.spanContext().traceId).toBe(traceId);
    }
  });

  it('Drizzle over a PgPool: its builder’s statements and its transaction’s are traced under the caller', async () => {
    const pool = testPgPool();
    const db = drizzle({ client: pool });
    const { parentId } = await withinParent('POST /notes', async () => {
      await db.insert(notes).values({ body: PARAM });
      await db.transaction(async (tx) => {
        await tx.select({ id: notes.id }).from(notes).where(eq(notes.body, PARAM));
        await tx.update(notes).set({ body: `${PARAM}-2` }).where(eq(notes.body, PARAM));
      });
    });
    const all = await spansOfPool(pool.lifeguard.name);
    const spans = statements(all);
    const texts = spans.map((s) => String(s.attributes['db.query.text']));
    const insert = spans.find((s) => s.name.startsWith('insert') || s.name.startsWith('INSERT'));
    expect(insert).toBeDefined();
    expect(insert?.attributes['db.query.text']).toBe(`insert into "${table}" ("id", "body") values (default, $1)`);
    expect(parentOf(insert as ReadableSpan)).toBe(parentId);
    expect(texts).toEqual(expect.arrayContaining([expect.stringMatching(/^select "id" from/), expect.stringMatching(/^update "/)]));
    // Drizzle's transaction runs on a PoolClient (BEGIN … COMMIT through client.query): every one of
    // its statements is in the caller's trace, a child of the caller or of a span that is.
    const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
    for (const s of spans) {
      let up = parentOf(s);
      while (up !== undefined && up !== parentId && byId.has(up)) up = parentOf(byId.get(up) as ReadableSpan);
      expect({ name: s.name, ancestor: up }).toEqual({ name: s.name, ancestor: parentId });
    }
    expect(texts.join('\n')).not.toContain(PARAM);
  });
});
