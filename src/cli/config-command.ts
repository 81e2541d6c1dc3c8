/**
 * `lifeguard config`: the configuration a pool would get from this environment and these flags,
 * each value with where it came from. Pure: opens no connection. Secrets are masked.
 */
import type { Command } from 'commander';
import { SETTINGS, resolveConfig } from '../config';
import { configurationReference } from '../config/reference';
import type { ResolvedConfig } from '../config/types';
import { addPoolFlags, describeOrigin, poolOptionsFrom, type PoolFlags } from './pool-flags';
import { formatTable, printJson, printLines } from './output';
import { EXIT, type ExitCode } from './exit-codes';

interface ConfigFlags extends PoolFlags {
  json?: boolean;
  reference?: boolean;
}

export interface ConfigEntry {
  value: unknown;
  source: string;
  /** The variable, parameter, flag or preset that set it. */
  origin: string;
  /** The canonical environment variable for it, with the pool's prefix. */
  variable?: string;
  doc?: string;
}

export function registerConfigCommand(program: Command, finish: (code: ExitCode) => void): void {
  addPoolFlags(program.command('config'))
    .description('print the resolved configuration, each value with its source (secrets masked); opens no connection')
    .option('--json', 'print JSON')
    .option('--reference', 'print the configuration reference (every variable, alias, unit and default) as Markdown')
    .action((flags: ConfigFlags) => finish(configAction(flags)));
}

function configAction(flags: ConfigFlags): ExitCode {
  if (flags.reference) {
    // The same generator as docs/configuration.md: the printed reference cannot drift from it.
    process.stdout.write(configurationReference());
    return EXIT.ok;
  }
  const config = resolveConfig(poolOptionsFrom(flags));
  const entries = configEntries(config, flags);
  if (flags.json) printJson({ pool: config.name, scheme: config.scheme, settings: entries });
  else printConfig(config, entries);
  return EXIT.ok;
}

export function configEntries(config: ResolvedConfig, flags: PoolFlags, env: Record<string, string | undefined> = process.env): Record<string, ConfigEntry> {
  const entries: Record<string, ConfigEntry> = {
    name: { value: config.name, source: flags.name !== undefined ? 'option' : 'default', origin: flags.name !== undefined ? 'flag --name' : 'CLI default' },
    url: { value: config.url, ...urlOrigin(flags, env) },
    profile: { value: config.profile, source: config.sources.profile ?? 'default', origin: describeOrigin(config, 'profile') },
  };
  if (config.workload) entries.workload = { value: config.workload, source: config.sources.workload ?? 'env', origin: describeOrigin(config, 'workload') };
  for (const spec of SETTINGS) {
    entries[spec.key] = {
      value: config[spec.key],
      source: config.sources[spec.key] ?? 'default',
      origin: describeOrigin(config, spec.key),
      variable: withPrefix(spec.env[0].name, flags.prefix ?? 'DB_'),
      doc: spec.doc,
    };
  }
  // String() of a secret is `[redacted]`, of a function `(function)`: never the value.
  entries.authToken = config.authToken
    ? { value: String(config.authToken), source: 'secret', origin: 'set (masked)' }
    : { value: null, source: 'default', origin: 'not set' };
  if (config.password) entries.password = { value: String(config.password), source: 'secret', origin: 'option password (masked)' };
  return entries;
}

function withPrefix(name: string, prefix: string): string {
  return name.startsWith('DB_') ? prefix + name.slice(3) : name;
}

function urlOrigin(flags: PoolFlags, env: Record<string, string | undefined>): { source: string; origin: string } {
  if (flags.url !== undefined) return { source: 'option', origin: 'flag --url' };
  const prefix = flags.prefix ?? 'DB_';
  const variable = prefix === 'DB_' && env.DATABASE_URL?.trim() ? 'DATABASE_URL' : `${prefix}URL`;
  return { source: 'env', origin: `env ${variable}` };
}

function printConfig(config: ResolvedConfig, entries: Record<string, ConfigEntry>): void {
  const rows = Object.entries(entries).map(([key, entry]) => [key, show(entry.value), entry.origin]);
  printLines(`lifeguard config — pool "${config.name}", URL scheme ${config.scheme}:`, formatTable([['setting', 'value', 'source'], ...rows]));
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',');
  return String(value);
}
