/**
 * src/cli/ — the `lifeguard` command: a commander program with one file per subcommand. `main` never calls
 * process.exit; it resolves to the exit code, so stdout is flushed and pools close before the
 * process ends.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { createOtelTracer } from '../observability';
import { installTracerFactory } from '../pool/operation-tracer';
import { installReadRouter } from '../pool/read-routing';
import { createReplicaRouter } from '../replicas';
import { ConfigError, LifeguardError } from '../shared/errors';
import { registerBenchCommand } from './bench-command';
import { registerCheckCommand } from './check-command';
import { registerConfigCommand } from './config-command';
import { EXIT, type ExitCode } from './exit-codes';
import { registerServeCommand } from './serve-command';
import { registerSizeCommand } from './size-command';
import { messageOf } from '../shared/message-of';

// As the package entry does: pools the CLI opens with DB_READ_REPLICA_URLS route reads to replicas,
// and trace when the process has a tracer provider.
installReadRouter(createReplicaRouter);
installTracerFactory(createOtelTracer);

const EXIT_CODES_HELP = `
Exit codes:
  0  ok (healthy)
  1  failed: unhealthy, unreachable, or a benchmark with errors
  2  usage: bad flags, a bad environment variable, contradictory figures
  3  healthy with warnings (check --strict)

The database comes from --url, DATABASE_URL or DB_URL; every DB_* variable applies
(see docs/configuration.md). Flags win over the environment.`;

export function buildProgram(finish: (code: ExitCode) => void): Command {
  const program = new Command('lifeguard')
    .description('operate lifeguard connection pools: configuration, health, sizing, load, a metrics sidecar')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  registerConfigCommand(program, finish);
  registerCheckCommand(program, finish);
  registerSizeCommand(program, finish);
  registerBenchCommand(program, finish);
  registerServeCommand(program, finish);
  return program;
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return reportFailure(err);
  }
}

function reportFailure(err: unknown): ExitCode {
  // commander has already printed its own message (or the help) for these.
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const message = messageOf(err);
  if (err instanceof ConfigError) {
    process.stderr.write(`lifeguard: configuration error (${err.setting}): ${message}\n`);
    return EXIT.usage;
  }
  const code = err instanceof LifeguardError ? ` [${err.code}]` : '';
  process.stderr.write(`lifeguard: ${message}${code}\n`);
  if (process.env.LIFEGUARD_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.failed;
}

function packageVersion(): string {
  // Compiled, this file is dist/src/cli/main.js; under ts-jest, src/cli/main.ts: walk up to our package.json.
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'lifeguard' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
