/**
 * `lifeguard size`: recommendPoolSize from flags, or with the server's connection limit measured
 * the way `check` measures it (--from-server).
 */
import { Option, type Command } from 'commander';
import { resolveConfig } from '../config';
import { ConfigError, ConnectionError } from '../shared/errors';
import { recommendPoolSize, type SizingAdvice, type SizingInput } from '../sizing/sizing';
import { durationMs, positiveNumber, wholeNumber } from './arguments';
import { EXIT, type ExitCode } from './exit-codes';
import { printJson, printLines } from './output';
import { addPoolFlags, poolOptionsFrom, type PoolFlags } from './pool-flags';
import { probeDatabase } from './probe';

interface SizeFlags extends PoolFlags {
  qps?: number;
  queryMs?: number;
  concurrency?: number;
  headroom?: number;
  database?: string;
  cores?: number;
  spindles?: number;
  maxConnections?: number;
  reserved?: number;
  fromServer?: boolean;
  timeout: number;
  json?: boolean;
}

export function registerSizeCommand(program: Command, finish: (code: ExitCode) => void): void {
  addPoolFlags(program.command('size'))
    .description('recommend a pool size (max, min) for one instance, with the reasons')
    .option('--qps <n>', 'peak queries per second one instance sends', positiveNumber)
    .option('--query-ms <ms>', 'average time a query holds a connection, ms', positiveNumber)
    .option('--concurrency <n>', 'most callers in one instance wanting a connection at once', wholeNumber(1))
    .option('--headroom <fraction>', 'spare capacity over Little\'s law (0.5 = 50 %)', positiveNumber)
    .addOption(new Option('--database <kind>', 'the database (default: from the URL when one is set)').choices(['postgres', 'mysql', 'libsql', 'sqlite']))
    .option('--cores <n>', 'CPU cores of the database host (PostgreSQL cores × 2 + spindles ceiling)', wholeNumber(1))
    .option('--spindles <n>', 'effective spindles of the database host (0: data in memory; default 1)', wholeNumber(0))
    .option('--max-connections <n>', 'the server\'s max_connections', wholeNumber(1))
    .option('--reserved <n>', 'connections kept out of the fleet\'s reach (default: 3 on PostgreSQL, else 0)', wholeNumber(0))
    .option('--from-server', 'connect (like check) and read max_connections from the server')
    .option('--timeout <duration>', 'with --from-server: longest wait for a connection', durationMs, 5000)
    .option('--json', 'print JSON')
    .action(async (flags: SizeFlags) => finish(await sizeAction(flags)));
}

async function sizeAction(flags: SizeFlags): Promise<ExitCode> {
  const input = await sizingInput(flags);
  const advice = recommendPoolSize(input);
  if (flags.json) printJson({ input, ...advice });
  else printAdvice(advice, flags.prefix ?? 'DB_');
  return EXIT.ok;
}

async function sizingInput(flags: SizeFlags): Promise<SizingInput> {
  const input: SizingInput = {};
  const set = <K extends keyof SizingInput>(key: K, value: SizingInput[K] | undefined) => {
    if (value !== undefined) input[key] = value;
  };
  set('peakQueriesPerSecond', flags.qps);
  set('avgQueryMs', flags.queryMs);
  set('peakConcurrency', flags.concurrency);
  set('headroom', flags.headroom);
  set('dbCores', flags.cores);
  set('dbSpindles', flags.spindles);
  set('reservedConnections', flags.reserved);
  set('serverMaxConnections', flags.maxConnections);
  const context = configuredContext(flags);
  set('instances', flags.instances ?? context.instances);
  set('database', flags.database ?? context.database);
  if (flags.fromServer && flags.maxConnections === undefined) {
    const probe = await probeDatabase(poolOptionsFrom(flags), { timeoutMs: flags.timeout });
    const limit = probe.server?.maxConnections;
    if (limit === undefined) {
      const why = probe.health.error ?? probe.serverError ?? `the ${probe.adapter} adapter reports no connection limit`;
      throw new ConnectionError(`--from-server: could not read max_connections from ${probe.url}: ${why}`);
    }
    input.serverMaxConnections = limit;
    input.database = probe.adapter;
  }
  return input;
}

/**
 * The database and DB_INSTANCES a service with this environment would use. Sizing from flags alone
 * needs no URL, so without one only the instances variable is read.
 */
function configuredContext(flags: SizeFlags): { database?: string; instances?: number } {
  const prefix = flags.prefix ?? 'DB_';
  const hasUrl = flags.url !== undefined || Boolean(process.env[`${prefix}URL`]) || (prefix === 'DB_' && Boolean(process.env.DATABASE_URL));
  if (hasUrl) {
    const config = resolveConfig(poolOptionsFrom(flags));
    return { database: databaseOfScheme(config.scheme), instances: config.instances };
  }
  const variable = `${prefix}INSTANCES`;
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === '') return {};
  const instances = Number(raw);
  if (!Number.isInteger(instances) || instances < 1) {
    throw new ConfigError(variable, `${variable}=${JSON.stringify(raw)} is not valid: expected a whole number ≥ 1.`);
  }
  return { instances };
}

function databaseOfScheme(scheme: string): string {
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'sqlite') return 'sqlite';
  return 'libsql';
}

function printAdvice(advice: SizingAdvice, prefix: string): void {
  const lines = [`Recommended per instance: max ${advice.max}, min ${advice.min}`, '', 'Why:'];
  for (const reason of advice.reasons) lines.push(`  - ${reason}`);
  if (advice.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of advice.warnings) lines.push(`  ! ${warning}`);
  }
  lines.push('', `Set: ${prefix}POOL_MAX=${advice.max} ${prefix}POOL_MIN=${advice.min}`);
  printLines(...lines);
}
