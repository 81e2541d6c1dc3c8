/**
 * The flags every command that opens a pool shares. Flags are explicit options, so they win over
 * the environment, exactly as `createPool({ ... })` in a service would.
 */
import { Option, type Command } from 'commander';
import type { PoolOptions, Profile, ResolvedConfig, Workload } from '../config/types';
import { silentLogger } from '../shared/logger';
import { durationMs, wholeNumber } from './arguments';

/** So the server lists the CLI's connections under a name an operator recognises. */
export const CLI_POOL_NAME = 'lifeguard-cli';

export interface PoolFlags {
  url?: string;
  name?: string;
  prefix?: string;
  profile?: Profile;
  workload?: Workload;
  min?: number;
  max?: number;
  instances?: number;
  acquireTimeout?: number;
  connectTimeout?: number;
}

/** Setting key → the flag that sets it, so `config` can say "flag --max" as the source. */
export const FLAG_FOR_SETTING: Readonly<Record<string, string>> = {
  url: '--url',
  profile: '--profile',
  workload: '--workload',
  min: '--min',
  max: '--max',
  instances: '--instances',
  acquireTimeoutMs: '--acquire-timeout',
  connectTimeoutMs: '--connect-timeout',
};

export function addPoolFlags(command: Command): Command {
  return command
    .option('--url <url>', 'database URL (default: $DATABASE_URL or $<prefix>URL)')
    .option('--name <name>', `pool name: in metrics, events and the server's application_name (default: "${CLI_POOL_NAME}")`)
    .option('--prefix <prefix>', 'prefix of the environment variables to read', 'DB_')
    .addOption(new Option('--profile <profile>', 'sizing preset').choices(['development', 'test', 'staging', 'production']))
    .addOption(new Option('--workload <workload>', 'workload preset').choices(['api', 'worker', 'scheduler']))
    .option('--min <n>', 'connections kept open', wholeNumber(0))
    .option('--max <n>', 'most connections the pool opens', wholeNumber(1))
    .option('--instances <n>', 'instances of the service sharing the server (fleet sizing)', wholeNumber(1))
    .option('--acquire-timeout <duration>', 'longest wait for a connection (500ms, 5s)', durationMs)
    .option('--connect-timeout <duration>', 'longest wait to open one (500ms, 5s)', durationMs);
}

export function poolOptionsFrom(flags: PoolFlags, env: Record<string, string | undefined> = process.env): PoolOptions {
  const options: PoolOptions = { env, logger: silentLogger };
  if (flags.url !== undefined) options.url = flags.url;
  options.name = flags.name ?? CLI_POOL_NAME;
  if (flags.prefix !== undefined) options.envPrefix = flags.prefix;
  if (flags.profile !== undefined) options.profile = flags.profile;
  if (flags.workload !== undefined) options.workload = flags.workload;
  if (flags.min !== undefined) options.min = flags.min;
  if (flags.max !== undefined) options.max = flags.max;
  if (flags.instances !== undefined) options.instances = flags.instances;
  if (flags.acquireTimeout !== undefined) options.acquireTimeoutMs = flags.acquireTimeout;
  if (flags.connectTimeout !== undefined) options.connectTimeoutMs = flags.connectTimeout;
  return options;
}

/** "flag --max", "env DB_POOL_MAX", "profile production", "built-in default": where a value came from. */
export function describeOrigin(config: ResolvedConfig, key: string): string {
  const source = config.sources[key];
  const origin = config.origins[key] ?? 'built-in default';
  if (source === 'option') return `flag ${FLAG_FOR_SETTING[key] ?? key}`;
  if (source === 'env') return `env ${origin}`;
  return origin;
}
