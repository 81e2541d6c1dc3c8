import { ConfigError } from '../shared/errors';
import { Secret, maskUrl } from '../shared/secret';
import { SETTINGS, type SettingSpec, type VariableName } from './options';
import { checkOptionValue, parseValue, type ParsedValue } from './parse';
import { API_WAITERS_PER_CONNECTION, DEFAULTS, PROFILES, PROFILE_NAMES, WORKLOADS, WORKLOAD_NAMES, profileFromNodeEnv } from './profiles';
import type { ConfigSource, PoolOptions, PoolSettings, Profile, ResolvedConfig, Workload } from './types';
import { printSafe } from './config-secrets';
import { secretFromOption } from './secret-options';
import { driverUrl, splitUrl } from './url';

type Env = Record<string, string | undefined>;

/** URL query parameters lifeguard reads itself; every other parameter goes to the driver as written. */
const CONSUMED_URL_PARAMS: ReadonlySet<string> = new Set([...SETTINGS.flatMap((spec) => spec.urlParams.map((p) => p.name)), 'authToken']);
type Values = Record<string, unknown>;

interface Layers {
  values: Values;
  sources: Record<string, ConfigSource>;
  origins: Record<string, string>;
}

/**
 * Resolves a pool's configuration, lowest precedence first: built-in defaults < profile <
 * workload < environment variables < URL query parameters < explicit options. Pure: reads only
 * `options` and `options.env` (default process.env). Every bad value is a ConfigError naming the
 * variable, the value (secrets masked) and what would be accepted.
 */
export function resolveConfig(options: PoolOptions = {}): ResolvedConfig {
  const env: Env = options.env ?? process.env;
  const prefix = options.envPrefix ?? 'DB_';
  if (typeof prefix !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*_$/.test(prefix)) {
    throw new ConfigError('envPrefix', `option envPrefix=${JSON.stringify(prefix)} is not valid: expected letters, digits and _, ending in _, such as ORDERS_.`);
  }
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || !/^[\w.:-]{1,64}$/.test(name)) {
    throw new ConfigError('name', `option name=${JSON.stringify(name)} is not valid: expected 1-64 letters, digits, _ . : -`);
  }
  const layers: Layers = { values: {}, sources: {}, origins: {} };
  const set = (key: string, value: unknown, source: ConfigSource, origin: string) => {
    layers.values[key] = value;
    layers.sources[key] = source;
    layers.origins[key] = origin;
  };

  for (const [key, value] of Object.entries(DEFAULTS)) set(key, value, 'default', 'built-in default');
  const profile = resolveProfile(options, env, prefix, set);
  for (const [key, value] of Object.entries(PROFILES[profile])) set(key, value, 'profile', `profile ${profile}`);
  const workload = resolveWorkload(options, env, prefix, set);
  if (workload) {
    const lower = layers.values as unknown as Parameters<(typeof WORKLOADS)[Workload]>[0];
    for (const [key, value] of Object.entries(WORKLOADS[workload](lower))) set(key, value, 'workload', `workload ${workload}`);
  }

  for (const spec of SETTINGS) {
    const found = readSameLevel(spec, spec.env, (variable) => env[envName(variable, prefix)], (variable) => envName(variable, prefix), prefix);
    if (found) set(spec.key, found.value, 'env', found.origin);
  }

  const urlInfo = resolveUrl(options, env, prefix);
  for (const spec of SETTINGS) {
    const found = readSameLevel(spec, spec.urlParams, (p) => singleParam(urlInfo.params, p.name), (p) => `URL parameter ${p.name}`, prefix);
    if (found) set(spec.key, found.value, 'url', found.origin);
  }
  const urlToken = singleParam(urlInfo.params, 'authToken', true);

  for (const spec of SETTINGS) {
    const value = (options as Values)[spec.key];
    if (value !== undefined) set(spec.key, checkOptionValue(spec.key, value, spec.kind === 's' ? 'ms' : spec.kind), 'option', `option ${spec.key}`);
  }
  if (workload === 'api' && layers.sources.maxWaiting === 'workload') {
    const max = layers.values.max as number;
    set('maxWaiting', max * API_WAITERS_PER_CONNECTION, 'workload', `workload api: ${API_WAITERS_PER_CONNECTION} × max (${max})`);
  }
  if (layers.values.applicationName === undefined) set('applicationName', name, 'default', 'pool name');
  if (layers.values.readReplicaUrls === undefined) set('readReplicaUrls', [], 'default', 'built-in default');

  if (urlInfo.inMemory) applyInMemoryRule(layers, set);
  applyMaxBelowProfileMin(layers, set);
  checkCombinations(layers);

  const secretUrl = driverUrl(urlInfo, CONSUMED_URL_PARAMS);
  const token = resolveToken(options, urlToken, env, prefix);
  layers.sources.url = urlInfo.source;
  layers.origins.url = urlInfo.origin;
  if (token) {
    layers.sources.authToken = token.source;
    layers.origins.authToken = token.origin;
  }
  const password = secretFromOption('password', options.password);
  if (password) {
    layers.sources.password = 'option';
    layers.origins.password = 'option password';
  }
  const replicas = layers.values.readReplicaUrls as string[];
  for (const replica of replicas) splitUrl(replica, layers.origins.readReplicaUrls);
  const config: ResolvedConfig = {
    ...(layers.values as unknown as PoolSettings),
    readReplicaUrls: replicas.map(maskUrl),
    secretReadReplicaUrls: replicas.map((url) => new Secret(url)),
    name,
    url: maskUrl(secretUrl),
    secretUrl: new Secret(secretUrl),
    scheme: urlInfo.scheme,
    profile,
    adapterOptions: printSafe({ ...(options.adapterOptions ?? {}) }),
    sources: layers.sources,
    origins: layers.origins,
  };
  if (token) config.authToken = token.secret;
  if (password) config.password = password;
  if (workload) config.workload = workload;
  return Object.freeze(config);
}

function envName(variable: VariableName, prefix: string): string {
  return variable.name.startsWith('DB_') ? prefix + variable.name.slice(3) : variable.name;
}

/**
 * Reads one setting from the names available at one level (a canonical variable and its aliases,
 * or URL parameters). Two that are set and disagree, after unit conversion, are an error naming both.
 */
function readSameLevel(
  spec: SettingSpec,
  names: readonly VariableName[],
  read: (variable: VariableName) => string | undefined,
  label: (variable: VariableName) => string,
  prefix: string,
): { value: ParsedValue; origin: string } | undefined {
  let found: { value: ParsedValue; origin: string; raw: string } | undefined;
  for (const variable of names) {
    if (variable.globalOnly && prefix !== 'DB_') continue;
    const raw = read(variable);
    if (raw === undefined || raw.trim() === '') continue;
    const value = parseValue(label(variable), raw, variable.kind);
    if (found && JSON.stringify(found.value) !== JSON.stringify(value)) {
      throw new ConfigError(
        label(variable),
        `${found.origin}=${JSON.stringify(found.raw)} and ${label(variable)}=${JSON.stringify(raw)} both set ${spec.key} and disagree; set only one.`,
      );
    }
    found ??= { value, origin: label(variable), raw };
  }
  return found;
}

function resolveProfile(options: PoolOptions, env: Env, prefix: string, set: (k: string, v: unknown, s: ConfigSource, o: string) => void): Profile {
  const check = (label: string, raw: unknown): Profile => {
    const lower = String(raw).trim().toLowerCase() as Profile;
    if (PROFILE_NAMES.includes(lower)) return lower;
    throw new ConfigError(label, `${label}=${JSON.stringify(raw)} is not a profile: expected one of ${PROFILE_NAMES.join(', ')}.`);
  };
  const variable = `${prefix}PROFILE`;
  let profile: Profile;
  if (options.profile !== undefined) {
    profile = check('option profile', options.profile);
    set('profile', profile, 'option', 'option profile');
  } else if (env[variable]?.trim()) {
    profile = check(variable, env[variable] as string);
    set('profile', profile, 'env', variable);
  } else if (env.NODE_ENV && profileFromNodeEnv(env.NODE_ENV)) {
    profile = profileFromNodeEnv(env.NODE_ENV) as Profile;
    set('profile', profile, 'env', 'NODE_ENV');
  } else {
    // An unknown NODE_ENV (say 'ci') is common and harmless: use development, and say so.
    profile = 'development';
    set('profile', profile, 'default', env.NODE_ENV ? `NODE_ENV=${env.NODE_ENV} is not a profile; built-in default` : 'built-in default');
  }
  return profile;
}

function resolveWorkload(options: PoolOptions, env: Env, prefix: string, set: (k: string, v: unknown, s: ConfigSource, o: string) => void): Workload | undefined {
  const variable = `${prefix}WORKLOAD`;
  const raw = options.workload ?? env[variable];
  if (raw === undefined || (options.workload === undefined && String(raw).trim() === '')) return undefined;
  const label = options.workload !== undefined ? 'option workload' : variable;
  const lower = String(raw).trim().toLowerCase() as Workload;
  if (!WORKLOAD_NAMES.includes(lower)) {
    throw new ConfigError(label, `${label}=${JSON.stringify(raw)} is not a workload: expected one of ${WORKLOAD_NAMES.join(', ')}.`);
  }
  set('workload', lower, options.workload !== undefined ? 'option' : 'env', label);
  return lower;
}

function resolveUrl(options: PoolOptions, env: Env, prefix: string) {
  if (options.url !== undefined) {
    // A WHATWG URL object is a natural thing to pass; take its text.
    const url: unknown = (options.url as unknown) instanceof URL ? (options.url as unknown as URL).href : options.url;
    if (typeof url !== 'string' || url.trim() === '') {
      const what = typeof url === 'string' ? 'is empty' : `is a ${url === null ? 'null' : typeof url}, not a string`;
      throw new ConfigError('url', `option url ${what}: expected a database URL such as postgres://user@host/db or file:app.db.`);
    }
    return { ...splitUrl(url, 'option url'), source: 'option' as const, origin: 'option url' };
  }
  const candidates = [prefix === 'DB_' ? 'DATABASE_URL' : undefined, `${prefix}URL`].filter((n): n is string => n !== undefined);
  const set = candidates.filter((n) => env[n] !== undefined && (env[n] as string).trim() !== '');
  if (set.length === 0) {
    throw new ConfigError(candidates[0], `No database URL: set ${candidates.join(' or ')} (or pass { url }), e.g. postgres://user@host:5432/db or file:app.db.`);
  }
  if (set.length === 2 && env[set[0]]?.trim() !== env[set[1]]?.trim()) {
    throw new ConfigError(set[1], `${set[0]}=${JSON.stringify(maskUrl(env[set[0]] as string))} and ${set[1]}=${JSON.stringify(maskUrl(env[set[1]] as string))} disagree; set only one.`);
  }
  return { ...splitUrl(env[set[0]] as string, set[0]), source: 'env' as const, origin: set[0] };
}

/** The auth token and where it came from: option < URL parameter < variable, highest first. */
function resolveToken(options: PoolOptions, urlToken: string | undefined, env: Env, prefix: string) {
  const variable = `${prefix}AUTH_TOKEN`;
  const fromOption = secretFromOption('authToken', options.authToken);
  if (fromOption) return { secret: fromOption, source: 'option' as const, origin: 'option authToken' };
  if (urlToken) return { secret: new Secret(urlToken), source: 'url' as const, origin: 'URL parameter authToken' };
  const fromEnv = env[variable]?.trim();
  return fromEnv ? { secret: new Secret(fromEnv), source: 'env' as const, origin: variable } : undefined;
}

/** A URL parameter given once (or repeated with one value); repeated with different values is an error. */
function singleParam(params: URLSearchParams, name: string, secret = false): string | undefined {
  const values = [...new Set(params.getAll(name).map((value) => value.trim()))];
  if (values.length > 1) {
    const shown = secret ? '' : ` (${values.map((value) => JSON.stringify(value)).join(', ')})`;
    throw new ConfigError(`URL parameter ${name}`, `URL parameter ${name} is given ${values.length} times with different values${shown}; give it once.`);
  }
  return values[0];
}

/** Set by the user (a variable, a URL parameter or an option), not brought by a default, profile or workload. */
function chosenByUser(layers: Layers, key: string): boolean {
  return ['env', 'url', 'option'].includes(layers.sources[key]);
}

/** An in-memory database exists once per connection: a pool of several would be several databases. */
function applyInMemoryRule(layers: Layers, set: (k: string, v: unknown, s: ConfigSource, o: string) => void): void {
  for (const key of ['max', 'min']) {
    const value = layers.values[key] as number;
    if (value > 1 && chosenByUser(layers, key)) {
      throw new ConfigError(layers.origins[key], `${layers.origins[key]}=${value} is not possible with an in-memory database: each connection would get its own empty database; use ${key} 1 or a file.`);
    }
  }
  const max = layers.values.max as number;
  if (max !== 1) set('max', 1, layers.sources.max, 'in-memory database: one connection');
  if ((layers.values.min as number) > 1) set('min', 1, layers.sources.min, 'in-memory database: one connection');
}

/**
 * A max the user chose below the min their profile or workload brought (max 1 in production,
 * whose min is 2) lowers that min to it: the profile's min is a default, the user's max is a
 * decision. Only a min the user chose too can conflict with it (checkCombinations).
 */
function applyMaxBelowProfileMin(layers: Layers, set: (k: string, v: unknown, s: ConfigSource, o: string) => void): void {
  const max = layers.values.max as number;
  if ((layers.values.min as number) > max && chosenByUser(layers, 'max') && !chosenByUser(layers, 'min')) {
    set('min', max, layers.sources.min, `${layers.origins.min}, lowered to max ${max} (from ${layers.origins.max})`);
  }
}

function checkCombinations(layers: Layers): void {
  const v = layers.values as unknown as PoolSettings;
  const o = layers.origins;
  if (v.max < 1) throw new ConfigError(o.max, `${o.max}=${v.max} is not valid: max must be at least 1.`);
  if (v.min > v.max) {
    throw new ConfigError(o.min, `min ${v.min} (from ${o.min}) is greater than max ${v.max} (from ${o.max}): min must be ≤ max.`);
  }
  if (v.slowQueryMs > 0 && v.criticalQueryMs > 0 && v.criticalQueryMs < v.slowQueryMs) {
    throw new ConfigError(
      o.criticalQueryMs,
      `criticalQueryMs ${v.criticalQueryMs} (from ${o.criticalQueryMs}) is below slowQueryMs ${v.slowQueryMs} (from ${o.slowQueryMs}): the critical line must be at or above the slow one.`,
    );
  }
  if (v.utilizationWarning > v.utilizationCritical) {
    throw new ConfigError(
      o.utilizationWarning,
      `utilizationWarning ${v.utilizationWarning} (from ${o.utilizationWarning}) is above utilizationCritical ${v.utilizationCritical} (from ${o.utilizationCritical}): the warning line must be at or below the critical one.`,
    );
  }
}
