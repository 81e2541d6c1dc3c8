/**
 * `lifeguard serve` as a process: /health and /metrics for the configured pools, a bearer token
 * when one is configured, and a clean exit 0 on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { MYSQL_URL, POSTGRES_URL, describeMysql, describePostgres } from '../helpers/databases';
import { startCli } from './run-cli';

interface Serving {
  child: ChildProcess;
  base: string;
  output: () => string;
}

const running = new Set<ChildProcess>();

/** Starts the sidecar on a free port and resolves once it prints where it listens. */
async function serve(args: string[], env: Record<string, string>): Promise<Serving> {
  const child = startCli(['serve', '--port', '0', ...args], env);
  running.add(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 15_000);
    const look = () => {
      const match = /http:\/\/(127\.0\.0\.1:\d+)\/health/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}`));
    });
  });
  return { child, base, output: () => out };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-serve-'));
});
afterAll(async () => {
  await Promise.all([...running].map(stop));
  rmSync(dir, { recursive: true, force: true });
});

describe('lifeguard serve', () => {
  it('serves /health and Prometheus /metrics for the pool, 404 elsewhere, and exits 0 on SIGTERM', async () => {
    const { child, base, output } = await serve(['--name', 'sidecar_file'], { DATABASE_URL: `file:${join(dir, 'serve.db')}` });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; pools: Record<string, { status: string }> };
    expect(body.status).toBe('healthy');
    expect(body.pools.sidecar_file.status).toBe('healthy');

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(/^db_client_connection_max\{pool_name="sidecar_file"\} 5$/m);
    expect(text).toMatch(/^db_client_connection_count\{pool_name="sidecar_file",state="idle"\} 1$/m);

    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect(await stop(child)).toBe(0);
    expect(output()).toContain('SIGTERM, draining');
  });

  it('requires the bearer token from --token-env on both endpoints, and never prints it', async () => {
    const token = 'sidecar-token-4f9a';
    const { child, base, output } = await serve(['--name', 'sidecar_token', '--token-env', 'SIDECAR_TOKEN'], {
      DATABASE_URL: `file:${join(dir, 'token.db')}`,
      SIDECAR_TOKEN: token,
    });
    expect((await fetch(`${base}/health`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    expect((await fetch(`${base}/health`, auth)).status).toBe(200);
    expect((await fetch(`${base}/metrics`, auth)).status).toBe(200);
    expect(await stop(child)).toBe(0);
    expect(output()).toContain('bearer token from SIDECAR_TOKEN');
    expect(output()).not.toContain(token);
  });

  it('answers 503 with the reason while the database cannot be opened, and keeps serving', async () => {
    const { child, base } = await serve(['--name', 'sidecar_down', '--acquire-timeout', '500ms'], { DATABASE_URL: `file:${join(dir, 'no-such-dir', 'x.db')}` });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { status: string; checks: { database: { error: string } } };
    expect(body.status).toBe('unhealthy');
    expect(body.checks.database.error).toContain('Unable to open connection to local database');
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect(await stop(child)).toBe(0);
  });

  it('exits 2 naming the flag when a --pool is not name=PREFIX_', () => {
    return new Promise<void>((resolve, reject) => {
      const child = startCli(['serve', '--port', '0', '--pool', 'orders'], {});
      let err = '';
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        try {
          expect(code).toBe(2);
          expect(err).toContain('--pool "orders" is not valid: expected name=PREFIX_');
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  });
});

describePostgres('lifeguard serve with several pools', () => {
  it('serves one pool per --pool name=PREFIX, each labelled by name', async () => {
    const { child, base } = await serve(['--pool', 'orders=ORDERS_', '--pool', 'cache=CACHE_'], {
      ORDERS_URL: POSTGRES_URL,
      CACHE_URL: `file:${join(dir, 'cache.db')}`,
    });
    const body = (await (await fetch(`${base}/health`)).json()) as { status: string; pools: Record<string, { status: string }> };
    expect(body.status).toBe('healthy');
    expect(Object.keys(body.pools).sort()).toEqual(['cache', 'orders']);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('db_client_connection_max{pool_name="orders"}');
    expect(text).toContain('db_client_connection_max{pool_name="cache"}');
    expect(await stop(child)).toBe(0);
  });
});

describeMysql('lifeguard serve on MariaDB', () => {
  it('reports the MariaDB pool healthy and exports its metrics', async () => {
    const { child, base } = await serve(['--name', 'sidecar_mysql'], { DATABASE_URL: MYSQL_URL });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { pools: Record<string, { status: string }> }).pools.sidecar_mysql.status).toBe('healthy');
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('db_client_connection_max{pool_name="sidecar_mysql"}');
    expect(await stop(child)).toBe(0);
  });
});
