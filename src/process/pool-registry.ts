import { resolveConfig } from '../config';
import type { PoolOptions } from '../config/types';
import { ConfigError } from '../shared/errors';
import { takeOpenPools } from './open-pools';
import { Pool } from '../pool/pool';

/**
 * One pool per name per process. The map lives on globalThis under a registered symbol, so every
 * copy of this module shares it: `import` and `require`, and a dev server that reloads modules on
 * each change (which would otherwise open a fresh pool per reload and exhaust the database).
 */
const REGISTRY_KEY = Symbol.for('lifeguard.pools');

type GlobalWithPools = typeof globalThis & { [REGISTRY_KEY]?: Map<string, Pool> };

function pools(): Map<string, Pool> {
  const holder = globalThis as GlobalWithPools;
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

/** The process's pool called `name` (default 'default'), created from `options` the first time. */
export function getPool(name = 'default', options: PoolOptions = {}): Pool {
  const existing = pools().get(name);
  if (existing && !existing.isClosed) {
    assertSameDatabase(existing, options);
    return existing;
  }
  const pool = new Pool({ ...options, name });
  pools().set(name, pool);
  if (options.url !== undefined) checkedUrls.set(pool, options.url);
  return pool;
}

/** URLs already found to point where a registered pool does, so a hot path pays one string compare. */
const checkedUrls = new WeakMap<Pool, string>();

/**
 * Two parts of a service asking for the same pool name with different databases is a bug that
 * would otherwise send one part's queries to the other's database without a word.
 */
function assertSameDatabase(pool: Pool, options: PoolOptions): void {
  if (options.url === undefined || checkedUrls.get(pool) === options.url) return;
  const wanted = resolveConfig({ ...options, name: pool.name });
  if (wanted.secretUrl.reveal() !== pool.config.secretUrl.reveal()) {
    throw new ConfigError(
      'url',
      `getPool("${pool.name}") already holds a pool for ${pool.config.url}, and was now asked for ${wanted.url}. ` +
        'Give each database its own pool name.',
    );
  }
  checkedUrls.set(pool, options.url);
}

/** Every pool getPool() created that is still open. */
export function registeredPools(): Pool[] {
  return [...pools().values()].filter((pool) => !pool.isClosed);
}

/** Drains every open pool: the named ones of getPool() and every one createPool() made. */
export async function closeAllPools(opts: { timeoutMs?: number } = {}): Promise<void> {
  const all = new Set([...pools().values(), ...takeOpenPools()]);
  pools().clear();
  await Promise.all([...all].map((pool) => pool.close(opts)));
}
