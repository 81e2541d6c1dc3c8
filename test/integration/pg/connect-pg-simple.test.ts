/**
 * connect-pg-simple, the PostgreSQL session store for express-session, given a PgPool as its
 * `pool`: its normal use, sessions stored and read back across HTTP requests, with the session
 * middleware on a plain node:http server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import { registerPoolMetrics } from '../../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../../helpers/databases';
import { endPgPools, operationCount, terminateBackend, testPgPool } from '../../helpers/pg-pools';

const table = uniqueName('lg_sessions');
const PgSession = connectPgSimple(session);

type SessionRequest = IncomingMessage & { session: session.Session & { views?: number } };

/** An HTTP server counting each visitor's views in its session. */
async function sessionServer(pool: ReturnType<typeof testPgPool>): Promise<{ server: Server; url: string; store: InstanceType<typeof PgSession> }> {
  const store = new PgSession({ pool, tableName: table, createTableIfMissing: true, pruneSessionInterval: false });
  const middleware = session({ store, secret: 'test-only-secret', resave: false, saveUninitialized: false });
  const server = createServer((req, res: ServerResponse) => {
    middleware(req as never, res as never, (err?: unknown) => {
      if (err) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
        return;
      }
      const { session: s } = req as SessionRequest;
      s.views = (s.views ?? 0) + 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ views: s.views }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, store };
}

type Store = InstanceType<typeof PgSession>;

/** The store's own API (what express-session calls), as promises. */
const storeSet = (store: Store, sid: string, data: session.SessionData) =>
  new Promise<void>((resolve, reject) => store.set(sid, data, (err?: unknown) => (err ? reject(err) : resolve())));
const storeGet = (store: Store, sid: string) =>
  new Promise<session.SessionData | null | undefined>((resolve, reject) => store.get(sid, (err: unknown, data?: session.SessionData | null) => (err ? reject(err) : resolve(data))));
const storeDestroy = (store: Store, sid: string) =>
  new Promise<void>((resolve, reject) => store.destroy(sid, (err?: unknown) => (err ? reject(err) : resolve())));

/** The backend pid of every client the pool lends from now on (connect-pg-simple queries through pool.query). */
function lentBackends(pool: ReturnType<typeof testPgPool>): number[] {
  const pids: number[] = [];
  pool.on('acquire', (client) => pids.push((client as unknown as { processID: number }).processID));
  return pids;
}

async function visit(url: string, cookie?: string): Promise<{ status: number; body: { views?: number; error?: string }; cookie?: string }> {
  const response = await fetch(url, { headers: cookie ? { cookie } : {} });
  const setCookie = response.headers.get('set-cookie')?.split(';')[0];
  return { status: response.status, body: (await response.json()) as { views?: number; error?: string }, cookie: setCookie ?? cookie };
}

describePostgres('connect-pg-simple (express-session store) over a PgPool', () => {
  let admin: Client;
  let server: Server | undefined;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
  });
  afterEach(async () => {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    await endPgPools();
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin.end();
  });

  it('keeps a session across requests in PostgreSQL, every query seen by lifeguard', async () => {
    const pool = testPgPool();
    const registry = new Registry();
    registerPoolMetrics(pool.lifeguard, registry);
    const app = await sessionServer(pool);
    server = app.server;
    const first = await visit(app.url);
    expect(first.body).toEqual({ views: 1 });
    const second = await visit(app.url, first.cookie);
    const third = await visit(app.url, second.cookie);
    expect(third.body).toEqual({ views: 3 });
    const stored = await admin.query(`SELECT count(*)::int AS n FROM "${table}"`);
    expect(stored.rows[0].n).toBe(1);
    // The table check, then a get and a set for each request after the first (which only sets).
    expect(pool.lifeguard.stats().counters.acquires).toBeGreaterThanOrEqual(6);
    expect(await operationCount(registry)).toBeGreaterThanOrEqual(6);
    app.store.close();
    expect(pool.ending).toBe(false); // the store ends only a pool it made itself
  });

  it('serves the next store call on a new backend after the one under it was terminated', async () => {
    const pool = testPgPool({ max: 1 });
    const app = await sessionServer(pool);
    server = app.server;
    const first = await visit(app.url); // creates the table, stores the visitor's session
    const backends = lentBackends(pool);
    const sid = `${table}-direct`;
    await storeSet(app.store, sid, { cookie: { originalMaxAge: 60_000 } as session.Cookie, views: 7 } as session.SessionData);
    expect(backends).toHaveLength(1);
    const [killed] = backends;
    await terminateBackend(killed);
    expect(await storeGet(app.store, sid)).toMatchObject({ views: 7 });
    expect(backends).toHaveLength(2);
    expect(backends[1]).not.toBe(killed);
    await storeDestroy(app.store, sid);
    expect(await storeGet(app.store, sid)).toBeFalsy();
    // And through express-session: the visitor's session survived on the new backend.
    expect(await visit(app.url, first.cookie)).toMatchObject({ status: 200, body: { views: 2 } });
  });

  it('answers with an error that says "timeout" when the pool is exhausted', async () => {
    const pool = testPgPool({ max: 1, connectionTimeoutMillis: 400 });
    const app = await sessionServer(pool);
    server = app.server;
    const first = await visit(app.url);
    const held = await pool.connect();
    const refused = await visit(app.url, first.cookie);
    expect(refused.status).toBe(500);
    expect(refused.body.error).toMatch(/timeout/);
    await expect(storeGet(app.store, `${table}-any`)).rejects.toThrow(/timeout/);
    held.release();
    expect((await visit(app.url, first.cookie)).body).toEqual({ views: 2 });
  });
});
