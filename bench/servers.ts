/**
 * Where the benchmarks find their servers (the same variables as the tests), and the pieces every
 * server suite shares: a reachability probe, and lifeguard configured as a production service runs it.
 */
import * as net from 'node:net';
import { Registry } from 'prom-client';
import { createPool, registerPoolMetrics, silentLogger, type Pool, type PoolOptions } from '../src';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/**
 * Whether a TCP connection to the URL's host and port opens: two tries of three seconds each, so
 * a server that is merely slow on a loaded machine is not taken for a missing one.
 */
export async function reachable(url: string, defaultPort: number): Promise<boolean> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(parsed.port || defaultPort);
  for (let attempt = 0; attempt < 2; attempt++) if (await connects(host, port, 3000)) return true;
  return false;
}

function connects(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A name no other process on the shared servers uses: tables, application names, pool names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * lifeguard as a production service runs it: profile 'production' (acquire timeout 5 s,
 * test-on-acquire on, max lifetime 30 min), metrics on (registerPoolMetrics into a prom-client
 * Registry, as a service exporting /metrics has), warmed up.
 */
export async function productionPool(url: string, name: string, max: number, options: PoolOptions = {}): Promise<Pool> {
  const pool = createPool({ url, env: {}, name, profile: 'production', max, logger: silentLogger, ...options });
  registerPoolMetrics(pool, new Registry());
  await pool.warmup();
  return pool;
}

/** Whether this build of lifeguard has an adapter for the URL's scheme. */
export async function hasAdapter(url: string): Promise<boolean> {
  try {
    createPool({ url, env: {}, name: uniqueName('probe'), min: 0, logger: silentLogger }).close().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

export const PRODUCTION_NOTE = "profile 'production' (acquire timeout 5 s, test-on-acquire on), metrics on (registerPoolMetrics)";
