/**
 * `lifeguard serve`: a sidecar with /health and /metrics for the configured pools, until SIGTERM
 * or SIGINT, then it drains its pools and exits 0. Each pool is the sidecar's own, opened with the
 * service's configuration: /health tells whether the service's database answers, /metrics how it
 * answers the sidecar.
 */
import type { Command } from 'commander';
import type { Pool } from '../pool/pool';
import { createPool } from '../process/open-pools';
import { ConfigError } from '../shared/errors';
import { Secret } from '../shared/secret';
import { wholeNumber } from './arguments';
import { EXIT, type ExitCode } from './exit-codes';
import { addPoolFlags, poolOptionsFrom, type PoolFlags } from './pool-flags';
import { createSidecar } from './sidecar';

interface ServeFlags extends PoolFlags {
  port: number;
  host: string;
  pool: string[];
  tokenEnv: string;
}

const DEFAULT_TOKEN_VARIABLE = 'LIFEGUARD_HTTP_TOKEN';

export function registerServeCommand(program: Command, finish: (code: ExitCode) => void): void {
  addPoolFlags(program.command('serve'))
    .description('serve /health and /metrics (Prometheus) for the configured pools until SIGTERM or SIGINT')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', wholeNumber(0), 9464)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--pool <name=PREFIX>', 'a pool read from variables with this prefix (repeatable), e.g. orders=ORDERS_', collect, [])
    .option('--token-env <variable>', 'variable holding a bearer token both endpoints require (never pass a token as a flag)', DEFAULT_TOKEN_VARIABLE)
    .action(async (flags: ServeFlags) => finish(await serveAction(flags)));
}

async function serveAction(flags: ServeFlags): Promise<ExitCode> {
  const pools = openPools(flags);
  try {
    const tokenText = process.env[flags.tokenEnv];
    const sidecar = createSidecar(pools, tokenText ? new Secret(tokenText) : undefined);
    await listen(sidecar.server, flags.port, flags.host);
    const address = sidecar.server.address();
    const port = typeof address === 'object' && address ? address.port : flags.port;
    const names = Object.keys(pools).join(', ');
    process.stdout.write(`lifeguard serve: http://${flags.host}:${port}/health and /metrics for ${names}${tokenText ? ` (bearer token from ${flags.tokenEnv})` : ''}\n`);
    const signal = await untilSignal();
    process.stdout.write(`lifeguard serve: ${signal}, draining\n`);
    await sidecar.stop();
    return EXIT.ok;
  } finally {
    await Promise.all(Object.values(pools).map((pool) => pool.close({ timeoutMs: 5000 })));
  }
}

/** One pool from the flags and DB_* variables, or one per --pool name=PREFIX. */
function openPools(flags: ServeFlags): Record<string, Pool> {
  if (flags.pool.length === 0) {
    const pool = createPool(poolOptionsFrom(flags));
    return { [pool.name]: pool };
  }
  const pools: Record<string, Pool> = {};
  try {
    for (const spec of flags.pool) {
      const [name, prefix] = parsePoolSpec(spec);
      if (pools[name]) throw new ConfigError('--pool', `--pool ${spec}: a pool named "${name}" is already configured.`);
      pools[name] = createPool({ ...poolOptionsFrom({ ...flags, url: undefined }), name, envPrefix: prefix });
    }
  } catch (err) {
    for (const pool of Object.values(pools)) void pool.close({ timeoutMs: 1000 });
    throw err;
  }
  return pools;
}

function parsePoolSpec(spec: string): [string, string] {
  const match = /^([\w.:-]{1,64})=([A-Z][A-Z0-9_]*_)$/.exec(spec);
  if (!match) throw new ConfigError('--pool', `--pool ${JSON.stringify(spec)} is not valid: expected name=PREFIX_, e.g. orders=ORDERS_.`);
  return [match[1], match[2]];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function listen(server: import('node:http').Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
    const handler = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, handler);
      resolve(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}
