import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, healthHandler, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { fakeDatabase } from '../helpers/fake-adapter';

const PASSWORD = 'hunter2-Sup3rS3cret';
let dir: string;
const pools: Pool[] = [];
const servers: Server[] = [];

function filePool(file: string, name: string): Pool {
  const pool = createPool({ name, url: `file:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 2000 });
  pools.push(pool);
  return pool;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves the listener on an ephemeral port of 127.0.0.1; returns the base URL. */
async function serve(listener: Listener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: () => Record<string, unknown>;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-health-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 100 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('healthHandler over real HTTP', () => {
  it('answers 200 with the status, the database check and the pool details when the libsql pool is healthy', async () => {
    const pool = filePool('healthy.db', 'health-ok');
    const base = await serve(healthHandler(pool));
    const answer = await get(`${base}/health`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(answer.headers['cache-control']).toBe('no-store');
    const body = answer.json();
    expect(body).toMatchObject({
      status: 'healthy',
      checks: { database: { status: 'healthy', latency_ms: expect.any(Number) } },
      pools: { 'health-ok': { status: 'healthy', max: 4, pending: 0, active: 0 } },
    });
  });

  it('answers 503 unhealthy once the database file and its directory are gone', async () => {
    const sub = mkdtempSync(join(dir, 'gone-'));
    const pool = createPool({ name: 'health-gone', url: `file:${join(sub, 'db.sqlite')}`, env: {}, profile: 'test', logger: silentLogger, max: 2, acquireTimeoutMs: 500, connectTimeoutMs: 300 });
    pools.push(pool);
    const base = await serve(healthHandler(pool, { timeoutMs: 800 }));
    expect((await get(base)).status).toBe(200);

    // The database goes: its directory is removed and the pool's open connection with it.
    rmSync(sub, { recursive: true, force: true });
    const lease = await pool.acquire();
    await lease.destroy(new Error('database removed'));

    const answer = await get(base);
    expect(answer.status).toBe(503);
    const body = answer.json() as { status: string; checks: { database: { status: string; error?: string } } };
    expect(body.status).toBe('unhealthy');
    expect(body.checks.database.status).toBe('unhealthy');
    expect(body.checks.database.error).toMatch(/could not provide a connection within 800 ms: none could be opened\. Last connection failure: .*(unable to open|SQLITE_CANTOPEN)/i);
  });

  it('answers 503 unhealthy when connecting fails with a driver error that echoes the password, which never reaches the reply', async () => {
    const { db, url } = fakeDatabase();
    db.connectError = new Error(`password authentication failed for "app:${PASSWORD}@localhost"`);
    const pool = createPool({
      name: 'health-secret',
      url: url.replace('://', `://app:${PASSWORD}@`),
      env: {},
      profile: 'test',
      logger: silentLogger,
      max: 2,
      acquireTimeoutMs: 400,
      connectTimeoutMs: 200,
    });
    pools.push(pool);
    const base = await serve(healthHandler({ primary: pool }));
    const answer = await get(base);
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({ status: 'unhealthy', pools: { primary: { status: 'unhealthy', error: expect.stringContaining('password authentication failed') } } });
    expect(answer.text).toContain('[redacted]');
    expect(answer.text).not.toContain(PASSWORD);
    expect(answer.text).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('answers 503 for a pool whose check itself fails, with the others still reported, and no unhandled rejection', async () => {
    const good = filePool('failing-check.db', 'check-good');
    const { url } = fakeDatabase();
    const odd = createPool({ name: 'check-odd', url: url.replace('://', `://app:${PASSWORD}@`), env: {}, profile: 'test', logger: silentLogger });
    pools.push(odd);
    odd.health = () => Promise.reject(new Error(`internal failure near app:${PASSWORD}`));
    const base = await serve(healthHandler({ good, odd }));
    const answer = await get(base);
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({ status: 'unhealthy', pools: { good: { status: 'healthy' }, odd: { status: 'unhealthy' } } });
    expect(answer.text).not.toContain(PASSWORD);
  });

  it('reports the worst pool of several, each under its key', async () => {
    const good = filePool('several.db', 'several-good');
    const { db, url } = fakeDatabase();
    db.connectError = new Error('connection refused');
    const bad = createPool({ name: 'several-bad', url, env: {}, profile: 'test', logger: silentLogger, acquireTimeoutMs: 300, connectTimeoutMs: 100 });
    pools.push(bad);
    const base = await serve(healthHandler({ main: good, reports: bad }));
    const answer = await get(base);
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({
      status: 'unhealthy',
      checks: { database: { status: 'unhealthy', error: expect.stringMatching(/^reports: /) } },
      pools: { main: { status: 'healthy' }, reports: { status: 'unhealthy' } },
    });
  });

  it('answers 401 without the right bearer token, and 200 with it', async () => {
    const pool = filePool('token.db', 'health-token');
    const token = 'probe-token-123456';
    const base = await serve(healthHandler(pool, { token }));

    const none = await get(base);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.text).not.toContain('health-token');
    expect((await get(base, { Authorization: 'Bearer probe-token-654321' })).status).toBe(401);
    expect((await get(base, { Authorization: 'Bearer probe' })).status).toBe(401);
    expect((await get(base, { Authorization: `Basic ${token}` })).status).toBe(401);
    expect((await get(base, { Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await get(base, { Authorization: `bearer ${token}` })).status).toBe(200);
  });

  it('serves HEAD without a body and refuses other methods with 405', async () => {
    const pool = filePool('methods.db', 'health-methods');
    const base = await serve(healthHandler(pool));
    const head = await get(base, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const post = await get(base, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('works as Express-style middleware: answers its path and passes other requests to next()', async () => {
    const pool = filePool('express.db', 'health-express');
    const handler = healthHandler(pool, { path: '/healthz' });
    const base = await serve((req, res) => {
      void handler(req, res, () => {
        res.writeHead(418).end('next');
      });
    });
    expect((await get(`${base}/healthz?verbose=1`)).status).toBe(200);
    const other = await get(`${base}/orders`);
    expect(other.status).toBe(418);
    expect(other.text).toBe('next');
  });

  it('works with a Fastify-style reply object (code, header, send)', async () => {
    const pool = filePool('fastify.db', 'health-fastify');
    const handler = healthHandler(pool);
    const base = await serve((req, res) => {
      // The reply surface Fastify gives a route handler, over the raw response.
      let statusCode = 200;
      const headers: Record<string, string> = {};
      const reply = {
        code: (c: number) => ((statusCode = c), reply),
        header: (k: string, v: string) => ((headers[k] = v), reply),
        send: (payload: string) => {
          res.writeHead(statusCode, headers).end(payload);
          return reply;
        },
      };
      void handler(req, reply).then((returned) => expect(returned).toBe(reply));
    });
    const answer = await get(base);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(answer.json()).toMatchObject({ status: 'healthy', checks: { database: { status: 'healthy' } } });
  });
});
