import { createHash, timingSafeEqual } from 'node:crypto';
import type { HealthReport, HealthStatus } from '../pool/health-check';
import type { ObservedPool } from '../pool/observed-pool';
import { ConfigError } from '../shared/errors';
import { messageOf } from '../shared/message-of';
import { Secret, redactText } from '../shared/secret';
import { configSecrets } from '../config/config-secrets';

export interface HealthHandlerOptions {
  /** When set, requests need `Authorization: Bearer <token>`; others get 401 and no details. */
  token?: string | Secret;
  /** Bound on each pool's check (acquire plus liveness query); default: pool.health()'s own. */
  timeoutMs?: number;
  /** Serve only this path (query string ignored); other requests go to next(), or get 404 without one. */
  path?: string;
  /** HTTP status for a degraded pool: 503 by default (take the instance out of rotation), or 200. */
  degradedHttpStatus?: 200 | 503;
}

/** The request fields the handler reads: node:http's IncomingMessage, Express's and Fastify's requests all have them. */
export interface HealthRequest {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  url?: string;
}

/** node:http's ServerResponse (and Express's, which extends it). */
export interface NodeResponseLike {
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/** A Fastify-style reply: code(), header() and send(). */
export interface ReplyLike {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
  send(body?: unknown): unknown;
}

export type HealthHandler = (req: HealthRequest, res: NodeResponseLike | ReplyLike, next?: (err?: unknown) => void) => Promise<unknown>;

export interface PoolHealthBody {
  status: HealthStatus;
  latency_ms: number;
  error?: string;
  total: number;
  active: number;
  idle: number;
  pending: number;
  min: number;
  max: number;
  utilization: number;
  wait_p95_ms: number;
  acquire_timeouts: number;
}

export interface HealthBody {
  status: HealthStatus;
  checks: { database: { status: HealthStatus; latency_ms: number; error?: string } };
  pools: Record<string, PoolHealthBody>;
  timestamp: string;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Serves pool health as JSON: 200 when every pool is healthy, 503 otherwise. Works as a node:http
 * request listener, as Express/Connect middleware (`(req, res, next)`), and as a Fastify route
 * handler (`(request, reply)`). Concurrent probes share one check. Bodies never hold a secret:
 * pool errors are redacted by pool.health(), and a request without the token learns nothing.
 */
export function healthHandler(pools: ObservedPool | Record<string, ObservedPool>, opts: HealthHandlerOptions = {}): HealthHandler {
  const entries: Array<[string, ObservedPool]> = isPool(pools) ? [[pools.name, pools]] : Object.entries(pools);
  const token = opts.token instanceof Secret ? opts.token.reveal() : opts.token;
  if (token !== undefined && token.trim() === '') {
    // An empty variable (HEALTH_TOKEN=) would lock every probe out, or, read as "no token", open the endpoint silently.
    throw new ConfigError('token', 'healthHandler got an empty token: set a non-empty token, or leave the option out to serve health without one.');
  }
  if (entries.length === 0) throw new ConfigError('pools', 'healthHandler needs at least one pool.');
  const expected = token === undefined ? undefined : digest(token);
  let inflight: Promise<HealthBody> | undefined;
  const check = () => {
    inflight ??= checkAll(entries, opts.timeoutMs).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const serve: HealthHandler = async (req, res, next) => {
    if (opts.path !== undefined && pathOf(req.url) !== opts.path) {
      if (next) return next();
      return respond(res, 404, { error: 'not found' });
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return respond(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    if (expected !== undefined && !authorized(req.headers.authorization, expected)) {
      return respond(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="health"' });
    }
    const body = await check();
    const statusCode = body.status === 'healthy' || (body.status === 'degraded' && opts.degradedHttpStatus === 200) ? 200 : 503;
    return respond(res, statusCode, method === 'HEAD' ? undefined : body);
  };
  // node:http ignores the promise a listener returns: a failure here must not become an unhandled rejection.
  return (req, res, next) =>
    serve(req, res, next).catch((err: unknown) => {
      if (next) return next(err);
      return respond(res, 503, { status: 'unhealthy', error: 'health check failed' });
    });
}

async function checkAll(entries: Array<[string, ObservedPool]>, timeoutMs: number | undefined): Promise<HealthBody> {
  const reports = await Promise.all(
    entries.map(([, pool]) =>
      // health() never throws; a pool-like object from elsewhere might, and one bad pool must not hide the others.
      pool.health(timeoutMs === undefined ? undefined : { timeoutMs }).catch((err: unknown): HealthReport => ({
        status: 'unhealthy',
        latencyMs: 0,
        pool: pool.stats(),
        error: redactText(messageOf(err), configSecrets(pool.config)),
      })),
    ),
  );
  const bodies: Record<string, PoolHealthBody> = {};
  let status: HealthStatus = 'healthy';
  let latencyMs = 0;
  let firstError: string | undefined;
  reports.forEach((report, i) => {
    const key = entries[i][0];
    bodies[key] = poolBody(report);
    if (RANK[report.status] > RANK[status]) status = report.status;
    latencyMs = Math.max(latencyMs, report.latencyMs);
    if (report.error !== undefined && firstError === undefined) firstError = entries.length > 1 ? `${key}: ${report.error}` : report.error;
  });
  const database = { status, latency_ms: latencyMs, ...(firstError !== undefined ? { error: firstError } : {}) };
  return { status, checks: { database }, pools: bodies, timestamp: new Date().toISOString() };
}

function poolBody(report: HealthReport): PoolHealthBody {
  const s = report.pool;
  return {
    status: report.status,
    latency_ms: report.latencyMs,
    ...(report.error !== undefined ? { error: report.error } : {}),
    total: s.total,
    active: s.active,
    idle: s.idle,
    pending: s.pending,
    min: s.min,
    max: s.max,
    utilization: Math.round(s.utilization * 1000) / 1000,
    wait_p95_ms: Math.round(s.waitMs.p95 * 100) / 100,
    acquire_timeouts: s.counters.acquireTimeouts,
  };
}

function respond(res: NodeResponseLike | ReplyLike, statusCode: number, body: unknown, extra: Record<string, string> = {}): unknown {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra };
  const text = body === undefined ? undefined : JSON.stringify(body);
  if (isReply(res)) {
    res.code(statusCode);
    for (const [name, value] of Object.entries(headers)) res.header(name, value);
    // Returning the reply tells Fastify an async handler has answered.
    res.send(text ?? '');
    return res;
  }
  res.writeHead(statusCode, text === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
  return undefined;
}

/** Compares digests of equal length in constant time, so response timing says nothing about the token. */
function authorized(header: string | string[] | undefined, expected: Buffer): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer\s+(.+)$/i.exec(value.trim());
  const given = digest(match ? match[1] : '');
  return timingSafeEqual(given, expected) && match !== null;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function isReply(res: NodeResponseLike | ReplyLike): res is ReplyLike {
  return typeof (res as ReplyLike).code === 'function' && typeof (res as ReplyLike).send === 'function' && typeof (res as NodeResponseLike).writeHead !== 'function';
}

function isPool(value: ObservedPool | Record<string, ObservedPool>): value is ObservedPool {
  return typeof (value as ObservedPool).health === 'function' && typeof (value as ObservedPool).stats === 'function';
}
