/**
 * `lifeguard check`: connects, runs the health check, prints the server's version, its connection
 * limit and current connections, and warns when max × instances would exceed the server's limit.
 * Exit 0 healthy, 1 unhealthy or unreachable, 2 bad configuration, 3 warnings under --strict.
 */
import type { Command } from 'commander';
import { durationMs, wholeNumber } from './arguments';
import { EXIT, type ExitCode } from './exit-codes';
import { formatMs, formatTable, printJson, printLines } from './output';
import { addPoolFlags, poolOptionsFrom, type PoolFlags } from './pool-flags';
import { probeDatabase, type Probe } from './probe';

interface CheckFlags extends PoolFlags {
  json?: boolean;
  timeout: number;
  reserved?: number;
  strict?: boolean;
}

export function registerCheckCommand(program: Command, finish: (code: ExitCode) => void): void {
  addPoolFlags(program.command('check'))
    .description('connect, run the health check, show the server\'s version and connection limits, warn about fleet sizing')
    .option('--timeout <duration>', 'longest the whole check may wait for a connection', durationMs, 5000)
    .option('--reserved <n>', 'server connections kept out of the fleet\'s reach (default: 3 on PostgreSQL, else 0)', wholeNumber(0))
    .option('--strict', 'exit 3 when healthy but with warnings')
    .option('--json', 'print JSON')
    .action(async (flags: CheckFlags) => finish(await checkAction(flags)));
}

async function checkAction(flags: CheckFlags): Promise<ExitCode> {
  const probe = await probeDatabase(poolOptionsFrom(flags), {
    timeoutMs: flags.timeout,
    ...(flags.reserved !== undefined ? { reservedConnections: flags.reserved } : {}),
  });
  const exitCode = checkExitCode(probe, flags.strict === true);
  if (flags.json) printJson({ ...probe, exitCode });
  else printProbe(probe);
  return exitCode;
}

function checkExitCode(probe: Probe, strict: boolean): ExitCode {
  if (probe.health.status === 'unhealthy' || probe.serverError !== undefined) return EXIT.failed;
  if (strict && probe.warnings.length > 0) return EXIT.warnings;
  return EXIT.ok;
}

function printProbe(probe: Probe): void {
  const rows: string[][] = [['health', `${probe.health.status} (${formatMs(probe.health.latencyMs)})`]];
  if (probe.health.error) rows.push(['error', probe.health.error]);
  if (probe.server) {
    rows.push(['server', `${probe.adapter} ${probe.server.version}`]);
    const limit = probe.server.maxConnections;
    const open = probe.server.openConnections;
    if (limit !== undefined || open !== undefined) {
      rows.push(['connections', `${open ?? '?'} open of max_connections ${limit ?? 'unknown'}`]);
    }
  }
  if (probe.serverError) rows.push(['server', `could not be described: ${probe.serverError}`]);
  if (probe.serverNote) rows.push(['server', probe.serverNote]);
  const { max, instances, fleetMax, budget } = probe.fleet;
  const fleet = `max ${max} × ${instances} instance${instances === 1 ? '' : 's'} = ${fleetMax}`;
  rows.push(['fleet', budget ? `${fleet} of ${budget.usable} usable (${budget.reservedConnections} reserved)` : fleet]);
  for (const warning of probe.warnings) rows.push(['warning', warning]);
  printLines(`lifeguard check — pool "${probe.pool}" on ${probe.url} (${probe.adapter})`, formatTable(rows));
}
