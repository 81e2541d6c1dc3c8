/**
 * Pool sizing advice: how many connections one instance of a service should keep.
 *
 * Three limits, smallest wins:
 * - demand, by Little's law: connections busy at once = queries per second × seconds per query,
 *   plus headroom for bursts (a caller never holds more than one, so peak concurrency caps it);
 * - for PostgreSQL, HikariCP's `cores × 2 + spindles`: past that many active connections the server
 *   only context-switches, so it is the fleet's useful ceiling, shared by its instances;
 * - the fleet budget: (server max_connections − reserved) / instances, a hard limit — advice never
 *   lets instances × max exceed it.
 */
import { ConfigError } from '../shared/errors';

export interface SizingInput {
  /** Peak queries per second one instance sends: the arrival rate in Little's law. */
  peakQueriesPerSecond?: number;
  /** Average time a query holds a connection, in ms (round trip included). */
  avgQueryMs?: number;
  /** Most callers in one instance that can want a connection at once (HTTP concurrency, workers). */
  peakConcurrency?: number;
  /** Spare capacity over Little's law for bursts, as a fraction (0.5 = 50 %). Default 0.5. */
  headroom?: number;
  /** 'postgres', 'mysql', 'libsql', 'sqlite': picks the cores rule and the reserved default. */
  database?: string;
  /** CPU cores of the database host (PostgreSQL: the cores × 2 + spindles ceiling). */
  dbCores?: number;
  /** Effective spindles of the database host: 0 when the data fits in memory, about 1 for an SSD. Default 1. */
  dbSpindles?: number;
  /** The server's max_connections. */
  serverMaxConnections?: number;
  /** Connections kept out of the fleet's reach (superusers, admin tools, migrations, other services). */
  reservedConnections?: number;
  /** Instances of the service sharing the server. Default 1. */
  instances?: number;
}

export interface SizingAdvice {
  max: number;
  /** A quarter of max, at least 1: enough warm connections for a quiet period, few held idle. */
  min: number;
  /** Why, one readable sentence per step, in the order they were applied. */
  reasons: string[];
  /** What the operator should look at: demand the budget cannot meet, a fleet past the cores ceiling. */
  warnings: string[];
  /** The figures behind the advice, for scripts (`lifeguard size --json`). */
  limits: {
    /** Connections busy at once at peak by Little's law, before headroom. */
    busyAtPeak?: number;
    /** What the workload asks for, headroom included (or peak concurrency, or the default). */
    demand: number;
    /** Per instance, from cores × 2 + spindles shared by the fleet. */
    coresCeiling?: number;
    /** Per instance, from the server's budget. */
    fleetPerInstance?: number;
  };
}

export interface FleetBudgetInput {
  serverMaxConnections: number;
  /** Default: 3 for PostgreSQL (superuser_reserved_connections), else 0. */
  reservedConnections?: number;
  instances?: number;
  database?: string;
}

export interface FleetBudget {
  serverMaxConnections: number;
  reservedConnections: number;
  instances: number;
  /** max_connections − reserved: what the whole fleet may open. */
  usable: number;
  /** usable / instances, rounded down: the largest max that keeps the fleet within the server. */
  perInstance: number;
}

/** Without workload figures: pg-pool's and HikariCP's default. */
export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_HEADROOM = 0.5;
/** PostgreSQL keeps superuser_reserved_connections (default 3) out of ordinary users' reach. */
const POSTGRES_RESERVED_DEFAULT = 3;

/** The connections a fleet of instances may open on one server. Throws ConfigError on bad figures. */
export function fleetBudget(input: FleetBudgetInput): FleetBudget {
  const serverMaxConnections = count('serverMaxConnections', input.serverMaxConnections, 1);
  const reservedConnections = count('reservedConnections', input.reservedConnections ?? defaultReserved(input.database), 0);
  const instances = count('instances', input.instances ?? 1, 1);
  const usable = Math.max(0, serverMaxConnections - reservedConnections);
  return { serverMaxConnections, reservedConnections, instances, usable, perInstance: Math.floor(usable / instances) };
}

/**
 * A sentence for the operator when `max` connections on each instance would overrun the budget,
 * else undefined. createPool and `lifeguard check` both say it in these words.
 */
export function fleetWarning(max: number, budget: FleetBudget): string | undefined {
  const fleetMax = max * budget.instances;
  if (fleetMax <= budget.usable) return undefined;
  return (
    `max ${max} × ${budget.instances} instance${budget.instances === 1 ? '' : 's'} = ${fleetMax} connections, ` +
    `more than the server allows (max_connections ${budget.serverMaxConnections} − ${budget.reservedConnections} reserved = ${budget.usable}): ` +
    `at peak some instances will fail to connect. Lower max to ${budget.perInstance} or less, ` +
    'raise max_connections, or put a pooler such as PgBouncer in front.'
  );
}

export function recommendPoolSize(input: SizingInput = {}): SizingAdvice {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const { busyAtPeak, demand } = demandOf(input, reasons);
  const limits: SizingAdvice['limits'] = { demand };
  if (busyAtPeak !== undefined) limits.busyAtPeak = busyAtPeak;
  let max = demand;

  const cores = coresCeiling(input, reasons, warnings);
  if (cores !== undefined) {
    limits.coresCeiling = cores;
    if (max > cores) {
      reasons.push(`Capped at the cores ceiling: ${max} → ${cores}.`);
      max = cores;
    }
  }

  if (input.serverMaxConnections !== undefined) {
    const budget = fleetBudget({ ...input, serverMaxConnections: input.serverMaxConnections });
    limits.fleetPerInstance = budget.perInstance;
    max = capAtFleetBudget(budget, max, demand, reasons, warnings);
  }

  const min = Math.max(1, Math.floor(max / 4));
  reasons.push(`min = a quarter of max, at least 1: ${min}.`);
  return { max, min, reasons, warnings, limits };
}

/** The hard limit: instances × max never exceeds the server's usable connections. */
function capAtFleetBudget(budget: FleetBudget, max: number, demand: number, reasons: string[], warnings: string[]): number {
  reasons.push(
    `Fleet budget: (max_connections ${budget.serverMaxConnections} − ${budget.reservedConnections} reserved) / ` +
      `${budget.instances} instance${budget.instances === 1 ? '' : 's'} = ${budget.perInstance} per instance.`,
  );
  if (budget.perInstance < 1) {
    throw new ConfigError(
      'instances',
      `${budget.instances} instances cannot each have one connection within ${budget.usable} usable connections ` +
        `(max_connections ${budget.serverMaxConnections} − ${budget.reservedConnections} reserved): ` +
        'put a pooler such as PgBouncer in front, raise max_connections, or run fewer instances.',
    );
  }
  if (max <= budget.perInstance) return max;
  reasons.push(`Capped at the fleet budget: ${max} → ${budget.perInstance}, so ${budget.instances} × max stays within ${budget.usable}.`);
  if (demand > budget.perInstance) {
    warnings.push(
      `The workload asks for ${demand} connections per instance but the server can give ${budget.perInstance}: ` +
        'callers will queue at peak. Put PgBouncer in front, raise max_connections, or make queries shorter.',
    );
  }
  return budget.perInstance;
}

/** What the workload asks for, before any ceiling. */
function demandOf(input: SizingInput, reasons: string[]): { busyAtPeak?: number; demand: number } {
  const rate = optional('peakQueriesPerSecond', input.peakQueriesPerSecond);
  const queryMs = optional('avgQueryMs', input.avgQueryMs);
  const concurrency = input.peakConcurrency === undefined ? undefined : count('peakConcurrency', input.peakConcurrency, 1);
  const headroom = optional('headroom', input.headroom) ?? DEFAULT_HEADROOM;
  if ((rate === undefined) !== (queryMs === undefined)) {
    const missing = rate === undefined ? 'peakQueriesPerSecond' : 'avgQueryMs';
    throw new ConfigError(missing, `Little's law needs both peakQueriesPerSecond and avgQueryMs; ${missing} is missing.`);
  }
  if (rate !== undefined && queryMs !== undefined) {
    const busyAtPeak = round2((rate * queryMs) / 1000);
    let demand = Math.max(1, Math.ceil(busyAtPeak * (1 + headroom)));
    reasons.push(
      `Little's law: ${rate} queries/s × ${queryMs} ms = ${busyAtPeak} connections busy at peak; ` +
        `with ${Math.round(headroom * 100)} % headroom, ${demand}.`,
    );
    if (concurrency !== undefined && demand > concurrency) {
      reasons.push(`Capped at peak concurrency: ${concurrency} callers never hold more than ${concurrency} connections.`);
      demand = concurrency;
    }
    return { busyAtPeak, demand };
  }
  if (concurrency !== undefined) {
    reasons.push(`No query rate given: one connection per concurrent caller, ${concurrency}.`);
    return { demand: concurrency };
  }
  reasons.push(`No workload figures given: starting from the usual default of ${DEFAULT_POOL_MAX}.`);
  return { demand: DEFAULT_POOL_MAX };
}

/** HikariCP's cores × 2 + spindles, for the whole fleet, shared by its instances (PostgreSQL only). */
function coresCeiling(input: SizingInput, reasons: string[], warnings: string[]): number | undefined {
  if (input.dbCores === undefined) return undefined;
  const cores = count('dbCores', input.dbCores, 1);
  const spindles = count('dbSpindles', input.dbSpindles ?? 1, 0);
  if (!isPostgres(input.database)) {
    reasons.push(`dbCores not applied: the cores × 2 + spindles ceiling is measured for PostgreSQL, not ${input.database ?? 'an unnamed database'}.`);
    return undefined;
  }
  const instances = count('instances', input.instances ?? 1, 1);
  const fleetCeiling = cores * 2 + spindles;
  const perInstance = Math.max(1, Math.floor(fleetCeiling / instances));
  reasons.push(
    `Cores ceiling (HikariCP): ${cores} cores × 2 + ${spindles} spindle${spindles === 1 ? '' : 's'} = ${fleetCeiling} active connections ` +
      `for the server, ${perInstance} per instance across ${instances}.`,
  );
  if (perInstance * instances > fleetCeiling) {
    warnings.push(
      `${instances} instances with at least one connection each exceed the server's ${fleetCeiling} useful active connections: ` +
        'consider a transaction-mode pooler (PgBouncer) in front.',
    );
  }
  return perInstance;
}

function defaultReserved(database: string | undefined): number {
  return isPostgres(database) ? POSTGRES_RESERVED_DEFAULT : 0;
}

function isPostgres(database: string | undefined): boolean {
  return database === 'postgres' || database === 'postgresql';
}

function optional(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(field, `${field}=${String(value)} is not valid: expected a number ≥ 0.`);
  }
  return value;
}

function count(field: string, value: number, least: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new ConfigError(field, `${field}=${String(value)} is not valid: expected a whole number ≥ ${least}.`);
  }
  return value;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
