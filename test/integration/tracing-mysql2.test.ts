/**
 * lifeguard/mysql2 statements are traced as lifeguard's own: Drizzle (drizzle-orm/mysql2) over
 * mysql2Pool and the facade's own query/execute are CLIENT spans under the caller. db.query.text
 * keeps a parameterized statement as written (its values travel apart) and replaces the literals
 * of one sent without parameters: a value written into the SQL text never reaches a span.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { createPool, type Pool } from '../../src';
import { mysql2Pool } from '../../src/integrations/mysql2';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, describeMysql, uniqueName } from '../helpers/databases';
import { finishedSpans, printedSpan, startTracing, stopTracing, withinParent, type Tracing } from '../helpers/tracing';

const PARAM = 'param-value-2718-mysql2';
const LITERAL = 'literal-value-3141-mysql2';
const table = uniqueName('lg_trace_m2');
const notes = mysqlTable(table, { id: int('id').primaryKey().autoincrement(), body: varchar('body', { length: 100 }).notNull() });

let tracing: Tracing;
const pools: Pool[] = [];

function tracedPool(): Pool {
  const pool = createPool({ url: MYSQL_URL, name: uniqueName('m2trace'), env: {}, profile: 'test', logger: silentLogger, max: 2, sslMode: 'disable' });
  pools.push(pool);
  return pool;
}

const statementsOf = async (pool: Pool): Promise<ReadableSpan[]> =>
  (await finishedSpans(tracing)).filter((s) => s.attributes['db.client.connection.pool.name'] === pool.name && s.kind === SpanKind.CLIENT && s.attributes['db.query.text'] !== undefined);

describeMysql('tracing through lifeguard/mysql2 on MariaDB', () => {
  beforeAll(async () => {
    tracing = startTracing();
    const setup = tracedPool();
    await setup.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(100) NOT NULL)`);
  });
  afterAll(async () => {
    await pools[0]?.query(`DROP TABLE IF EXISTS ${table}`);
    await Promise.all(pools.map((p) => p.close()));
    const printed = (await finishedSpans(tracing)).map(printedSpan).join('\n');
    expect(printed).not.toContain(PARAM);
    expect(printed).not.toContain(LITERAL);
    await stopTracing(tracing);
  });

  it('Drizzle statements are client spans under the caller, parameterized text as written, no values', async () => {
    const pool = tracedPool();
    const db = drizzle({ client: mysql2Pool(pool) as never });
    const { traceId } = await withinParent('POST /notes', async () => {
      await db.insert(notes).values({ body: PARAM });
      await db.select().from(notes).where(eq(notes.body, PARAM));
    });
    const spans = await statementsOf(pool);
    const insert = spans.find((s) => String(s.attributes['db.query.text']).startsWith('insert into'));
    expect(insert?.attributes['db.query.text']).toBe(`insert into \`${table}\` (\`id\`, \`body\`) values (default, ?)`);
    expect(insert?.spanContext().traceId).toBe(traceId);
    expect(spans.find((s) => String(s.attributes['db.query.text']).startsWith('select'))?.attributes['db.query.text']).toContain('where `' + table + '`.`body` = ?');
  });

  it('a statement sent with its values written into the SQL has its literals replaced', async () => {
    const pool = tracedPool();
    const facade = mysql2Pool(pool);
    await facade.promise().query(`SELECT id FROM ${table} WHERE body = '${LITERAL}'`);
    const conn = await facade.promise().getConnection();
    if (!conn) throw new Error('no connection');
    try {
      await conn.query(`SELECT id FROM ${table} WHERE body = '${LITERAL}' AND id > 7`);
      await conn.execute(`SELECT id FROM ${table} WHERE body = ?`, [PARAM]);
    } finally {
      conn.release();
    }
    const texts = (await statementsOf(pool)).map((s) => String(s.attributes['db.query.text']));
    expect(texts).toContain(`SELECT id FROM ${table} WHERE body = ?`);
    expect(texts).toContain(`SELECT id FROM ${table} WHERE body = ? AND id > ?`);
    expect(texts.join('\n')).not.toContain(LITERAL);
  });
});
