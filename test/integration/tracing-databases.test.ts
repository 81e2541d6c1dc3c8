/**
 * Traces on MariaDB and on embedded SQLite and libsql files, and through the data-layer entry
 * points: what Kysely and code written for @libsql/client send through a lifeguard pool shows up
 * as lifeguard's spans, because it goes through the pool's statement path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kysely, type Generated } from 'kysely';
import { LifeguardDialect } from '../../src/integrations/kysely';
import { libsqlClient } from '../../src/integrations/libsql';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL } from '../helpers/databases';
import { finishedSpans, parentOf, printedSpan, startTracing, stopTracing, tracedPools, withinParent, type Tracing } from '../helpers/tracing';

const PARAM = 'param-value-5500-0000';

let tracing: Tracing;
let dir: string;
const { pool, spansOf, closeAll } = tracedPools(() => tracing);

beforeAll(() => {
  tracing = startTracing();
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-tracing-'));
});
afterEach(closeAll);
afterAll(async () => {
  expect((await finishedSpans(tracing)).map(printedSpan).join('\n')).not.toContain(PARAM);
  await stopTracing(tracing);
  rmSync(dir, { recursive: true, force: true });
});

describeMysql('tracing on MariaDB', () => {
  it('names the system, the database and the server, and marks a failure with the MySQL error number', async () => {
    const p = pool(MYSQL_URL);
    await p.query('SELECT ? AS v', [PARAM]);
    await expect(p.query('SELECT * FROM no_such_table_i17a WHERE id = ?', [PARAM])).rejects.toMatchObject({ errno: 1146 });
    const [ok, failed] = await spansOf(p);
    expect(ok.attributes).toEqual({
      'db.system.name': 'mysql',
      'db.namespace': 'test',
      'server.address': '127.0.0.1',
      'db.query.text': 'SELECT ? AS v',
      'db.query.summary': 'SELECT',
      'db.client.connection.pool.name': p.name,
    });
    expect(failed.name).toBe('SELECT no_such_table_i17a');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(failed.attributes).toMatchObject({ 'error.type': '1146', 'db.response.status_code': '1146' });
  });
});

describe('tracing on embedded files', () => {
  it('SQLite (better-sqlite3): the file as db.namespace, no server, SQLITE_ codes', async () => {
    const file = join(dir, 'traced.db');
    const p = pool(`sqlite:${file}`);
    await p.query('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await p.transaction((tx) => tx.query('INSERT INTO notes (body) VALUES (?)', [PARAM]));
    await expect(p.query('INSERT INTO notes (body) VALUES (NULL)')).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    const spans = await spansOf(p);
    expect(spans.map((s) => s.name)).toEqual(['CREATE TABLE notes', 'BEGIN', 'INSERT notes', 'COMMIT', 'lifeguard.transaction', 'INSERT notes']);
    expect(spans[0].attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.namespace': file });
    expect(spans[0].attributes['server.address']).toBeUndefined();
    expect(spans.at(-1)?.attributes).toMatchObject({ 'error.type': 'SQLITE_CONSTRAINT_NOTNULL', 'db.response.status_code': 'SQLITE_CONSTRAINT_NOTNULL' });
  });

  it('lifeguard/libsql: what code written for @libsql/client sends is traced as the pool’s statements, under the caller', async () => {
    const p = pool(`file:${join(dir, 'libsql.db')}`);
    const client = libsqlClient(p);
    const { parentId } = await withinParent('handler', async () => {
      await client.execute('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)');
      await client.execute({ sql: 'INSERT INTO kv (k, v) VALUES (?, ?)', args: ['a', PARAM] });
      await client.batch([{ sql: 'UPDATE kv SET v = ? WHERE k = ?', args: [PARAM, 'a'] }, 'SELECT count(*) FROM kv'], 'write');
    });
    const spans = await spansOf(p);
    const statements = spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['db.query.text'] !== undefined);
    expect(statements.map((s) => s.name)).toEqual(expect.arrayContaining(['CREATE TABLE kv', 'INSERT kv', 'UPDATE kv', 'SELECT kv']));
    expect(statements.every((s) => s.attributes['db.system.name'] === 'sqlite')).toBe(true);
    // Each is the caller's child, or, inside the batch's transaction, the transaction's, itself the caller's.
    const txSpan = spans.find((s) => s.name === 'lifeguard.transaction');
    expect(parentOf(txSpan as ReadableSpan)).toBe(parentId);
    for (const s of statements) expect([parentId, txSpan?.spanContext().spanId]).toContain(parentOf(s));
  });
});

interface Db {
  i17a_kysely_notes: { id: Generated<number>; body: string };
}

describePostgres('tracing through lifeguard/kysely on PostgreSQL', () => {
  it('traces what Kysely sends, parameterized as Kysely sends it, and its transactions', async () => {
    const p = pool(POSTGRES_URL);
    const db = new Kysely<Db>({ dialect: new LifeguardDialect({ pool: p }) });
    await db.schema.createTable('i17a_kysely_notes').ifNotExists().addColumn('id', 'serial', (c) => c.primaryKey()).addColumn('body', 'text').execute();
    const { parentId } = await withinParent('POST /notes', async () => {
      await db.insertInto('i17a_kysely_notes').values({ body: PARAM }).execute();
      await db.transaction().execute((trx) => trx.selectFrom('i17a_kysely_notes').select('id').where('body', '=', PARAM).execute());
    });
    const all = await spansOf(p);
    const insert = all.find((s) => s.name === 'insert "i17a_kysely_notes"');
    expect(insert?.attributes['db.query.text']).toBe('insert into "i17a_kysely_notes" ("body") values ($1)');
    expect(parentOf(insert as ReadableSpan)).toBe(parentId);
    const txSpan = all.find((s) => s.name === 'lifeguard.transaction') as ReadableSpan;
    expect(parentOf(txSpan)).toBe(parentId);
    expect(txSpan.attributes['lifeguard.transaction.outcome']).toBe('committed');
    const inside = all.filter((s) => parentOf(s) === txSpan.spanContext().spanId).map((s) => s.name);
    expect(inside).toEqual(['BEGIN', 'select "i17a_kysely_notes"', 'COMMIT']);
    await db.destroy();
  });
});
