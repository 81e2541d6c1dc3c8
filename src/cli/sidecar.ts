/**
 * The HTTP side of `lifeguard serve`: /health through healthHandler, /metrics through a prom-client
 * registry fed by registerPoolMetrics, 404 for anything else. Optional bearer token on both.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type * as PromClient from 'prom-client';
import { healthHandler } from '../observability/health-handler';
import { registerPoolMetrics } from '../observability/prometheus';
import { loadOptionalPackage } from '../shared/optional-package';
import type { Pool } from '../pool/pool';
import type { Secret } from '../shared/secret';
import { withDeadline } from '../shared/deadline';
import { messageOf } from '../shared/message-of';

/** How long a request in flight may finish after a stop signal. */
const STOP_GRACE_MS = 2000;

export interface Sidecar {
  server: Server;
  /** Stops serving and removes the pools' metric series; the caller closes the pools. */
  stop(): Promise<void>;
}

export function createSidecar(pools: Record<string, Pool>, token: Secret | undefined): Sidecar {
  const prom = loadOptionalPackage<typeof PromClient>('prom-client', 'lifeguard serve (/metrics)');
  const registry = new prom.Registry();
  const unregister = Object.values(pools).map((pool) => registerPoolMetrics(pool, registry));
  const health = healthHandler(pools, { path: '/health', ...(token ? { token } : {}) });
  const expected = token ? digest(token.reveal()) : undefined;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      health(req, res).catch((err: unknown) => fail(res, err));
    } else if (path === '/metrics') {
      serveMetrics(req, res, registry, expected).catch((err: unknown) => fail(res, err));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: try /health or /metrics\n');
    }
  });
  return {
    server,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from scrapers would hold close() open for their idle timeout.
      server.closeIdleConnections();
      // Past the grace, close() stops waiting on the rest: they are cut, and closed settles.
      await withDeadline(closed, STOP_GRACE_MS, () => {
        server.closeAllConnections();
        return closed;
      });
      for (const remove of unregister) remove();
    },
  };
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, registry: PromClient.Registry, expected: Buffer | undefined): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (expected && !authorized(req.headers.authorization, expected)) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"' }).end();
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function fail(res: ServerResponse, err: unknown): void {
  // A scrape that failed must say so (500), and the sidecar must keep serving the next one.
  process.stderr.write(`lifeguard serve: request failed: ${messageOf(err)}\n`);
  if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('internal error\n');
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  // Compare digests of equal length, so the comparison time says nothing about the token.
  return match !== null && timingSafeEqual(digest(match[1].trim()), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
