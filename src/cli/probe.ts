/**
 * What `check` and `size --from-server` learn from a database: its health through the pool, and
 * the server's version and connection limits through the adapter's serverInfo.
 */
import type { ServerInfo } from '../../adapters/contract';
import type { HealthReport } from '../pool/health-check';
import type { Pool } from '../pool/pool';
import { createPool } from '../process/open-pools';
import { resolveConfig } from '../config';
import type { PoolOptions } from '../config/types';
import { fleetBudget, fleetWarning, type FleetBudget } from '../sizing/sizing';
import { messageOf } from '../shared/message-of';

/** Open connections at or above this share of the server's limit are worth a warning. */
const NEAR_LIMIT = 0.8;

export interface Probe {
  pool: string;
  url: string;
  adapter: string;
  health: Pick<HealthReport, 'status' | 'latencyMs' | 'error'>;
  server?: ServerInfo;
  /** Why asking the server to describe itself failed (a failed check). */
  serverError?: string;
  /** The adapter cannot describe its server (a third-party adapter without serverInfo): not a failure. */
  serverNote?: string;
  /** The pool's max, its instances, and the server's budget when the limit is known. */
  fleet: { max: number; instances: number; fleetMax: number; budget?: FleetBudget };
  warnings: string[];
}

export interface ProbeOptions {
  timeoutMs: number;
  /** Connections kept out of the fleet's reach; default by database (sizing.ts). */
  reservedConnections?: number;
}

/** Opens a pool of at most one connection, asks, and closes it. Never throws for an unreachable database. */
export async function probeDatabase(options: PoolOptions, probe: ProbeOptions): Promise<Probe> {
  // One connection is enough to ask; the configured max is still what the fleet arithmetic uses.
  const pool = createPool({ ...options, min: 0, max: 1, acquireTimeoutMs: probe.timeoutMs, connectTimeoutMs: Math.min(probe.timeoutMs, options.connectTimeoutMs ?? probe.timeoutMs) });
  const configured = createConfiguredMax(options);
  try {
    const report = await pool.health({ timeoutMs: probe.timeoutMs });
    const result: Probe = {
      pool: pool.name,
      url: pool.config.url,
      adapter: pool.adapter.name,
      health: { status: report.status, latencyMs: report.latencyMs, ...(report.error ? { error: report.error } : {}) },
      fleet: { max: configured.max, instances: configured.instances, fleetMax: configured.max * configured.instances },
      warnings: [],
    };
    if (report.status !== 'unhealthy') await describeServer(pool, probe, result);
    return result;
  } finally {
    await pool.close({ timeoutMs: 2000 });
  }
}

async function describeServer(pool: Pool, probe: ProbeOptions, result: Probe): Promise<void> {
  const serverInfo = pool.adapter.serverInfo?.bind(pool.adapter);
  if (!serverInfo) {
    result.serverNote = `the ${pool.adapter.name} adapter does not report server information; fleet limits not checked`;
    return;
  }
  try {
    result.server = await pool.withConnection((conn) => serverInfo(conn.raw), { timeoutMs: probe.timeoutMs });
  } catch (err) {
    result.serverError = messageOf(err);
    return;
  }
  const limit = result.server.maxConnections;
  if (limit === undefined) return;
  const budget = fleetBudget({
    serverMaxConnections: limit,
    instances: result.fleet.instances,
    database: pool.adapter.name,
    ...(probe.reservedConnections !== undefined ? { reservedConnections: probe.reservedConnections } : {}),
  });
  result.fleet.budget = budget;
  const warning = fleetWarning(result.fleet.max, budget);
  if (warning) result.warnings.push(warning);
  const open = result.server.openConnections;
  if (open !== undefined && open >= limit * NEAR_LIMIT) {
    result.warnings.push(
      `The server has ${open} of its ${limit} connections open (${Math.round((open / limit) * 100)} %): ` +
        'new connections will soon be refused ("too many connections"); see who holds them before raising any pool.',
    );
  }
}

/** The max and instances the service itself would use (the probe pool is capped at one connection). */
function createConfiguredMax(options: PoolOptions): { max: number; instances: number } {
  const config = resolveConfig(options);
  return { max: config.max, instances: config.instances };
}
