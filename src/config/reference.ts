/**
 * The configuration reference, generated from the one settings table (SETTINGS, SPECIAL_VARIABLES,
 * DEFAULTS, PROFILES, WORKLOADS). docs/configuration.md is its output (`npm run docs:config`, checked
 * by a test), and the CLI prints it: one source, so the docs cannot drift from the resolver.
 * Pure: no I/O.
 */
import { MAX_DURATION_MS } from './parse';
import { SETTINGS, SPECIAL_VARIABLES, SSL_MODES, type SettingSpec, type ValueKind, type VariableName } from './options';
import { API_WAITERS_PER_CONNECTION, DEFAULTS, NODE_ENV_ALIASES, PROFILES, PROFILE_NAMES, WORKLOADS, WORKLOAD_NAMES } from './profiles';
import type { PoolSettings } from './types';

type Tunables = typeof DEFAULTS;
type Key = keyof PoolSettings;

const UNIT: Record<ValueKind, string> = {
  count: 'count',
  ms: 'milliseconds',
  s: 'seconds',
  bool: 'boolean',
  sslMode: 'SSL mode',
  string: 'text',
  list: 'list of URLs',
  ratio: 'share of max',
};

const ACCEPTED: Record<ValueKind, string> = {
  count: 'a whole number, 0 or more',
  ms: `a bare number of milliseconds, or 500ms, 30s, 5m, 1h; whole milliseconds up to ${MAX_DURATION_MS}`,
  s: `a bare number of seconds, or 500ms, 30s, 5m, 1h; whole milliseconds up to ${MAX_DURATION_MS}`,
  bool: 'true/false, 1/0, yes/no, on/off (any case)',
  sslMode: SSL_MODES.join(', '),
  string: 'non-empty text',
  list: 'URLs separated by commas',
  ratio: 'a fraction above 0 and at most 1 (0.8), or a percentage (80%)',
};

/** Defaults that are not numbers in DEFAULTS. */
const DERIVED_DEFAULTS: Partial<Record<Key, string>> = { applicationName: 'the pool name', readReplicaUrls: 'none' };

function code(text: string): string {
  return `\`${text}\``;
}

function formatValue(key: Key, value: unknown): string {
  if (value === undefined) return DERIVED_DEFAULTS[key] ?? '—';
  if (typeof value === 'number' && key.endsWith('Ms') && value >= 1000 && value % 1000 === 0) {
    const seconds = value / 1000;
    return seconds % 60 === 0 ? `${value} (${seconds / 60} min)` : `${value} (${seconds} s)`;
  }
  return String(value);
}

function describeName(variable: VariableName, asUrlParam: boolean): string {
  const unit = variable.kind === 's' ? ', in seconds' : variable.kind === 'ms' ? ', in ms' : '';
  const scope = variable.globalOnly ? ', default prefix only' : '';
  return `${code(asUrlParam ? `?${variable.name}=` : variable.name)}${unit}${scope}`;
}

function settingSection(spec: SettingSpec): string[] {
  const [canonical, ...aliases] = spec.env;
  const defaults = DEFAULTS as unknown as Record<string, unknown>;
  const perProfile = PROFILE_NAMES.map((profile) => {
    const value = (PROFILES[profile] as Record<string, unknown>)[spec.key] ?? defaults[spec.key];
    return `${profile} ${formatValue(spec.key, value)}`;
  });
  const rows: Array<[string, string]> = [
    ['Variable', describeName(canonical, false)],
    ['Aliases', aliases.length > 0 ? aliases.map((a) => describeName(a, false)).join('; ') : '—'],
    ['URL parameters', spec.urlParams.length > 0 ? spec.urlParams.map((p) => describeName(p, true)).join('; ') : '—'],
    ['Option', code(spec.key)],
    ['Unit', UNIT[spec.kind]],
    ['Default', formatValue(spec.key, defaults[spec.key])],
    ['Per profile', spec.key in defaults ? perProfile.join('; ') : 'same as default'],
    ['Accepted', ACCEPTED[canonical.kind]],
  ];
  return [`### ${code(spec.key)}`, '', spec.doc, '', '| | |', '|---|---|', ...rows.map(([label, value]) => `| ${label} | ${value} |`), ''];
}

/** What each workload does to each profile, computed by running the workload functions. */
function workloadTable(): string[] {
  const changed = new Set<string>();
  for (const workload of WORKLOAD_NAMES) for (const key of Object.keys(WORKLOADS[workload](DEFAULTS))) changed.add(key);
  const keys = [...changed];
  const lines = [`| workload | profile | ${keys.map(code).join(' | ')} |`, `|---|---|${keys.map(() => '---|').join('')}`];
  for (const workload of WORKLOAD_NAMES) {
    for (const profile of PROFILE_NAMES) {
      const lower: Tunables = { ...DEFAULTS, ...PROFILES[profile] };
      const values = { ...lower, ...WORKLOADS[workload](lower) } as unknown as Record<string, unknown>;
      lines.push(`| ${workload} | ${profile} | ${keys.map((key) => formatValue(key as Key, values[key])).join(' | ')} |`);
    }
  }
  return lines;
}

function introduction(): string[] {
  const nodeEnvNames = Object.entries(NODE_ENV_ALIASES).map(([name, profile]) => `${code(name)} → ${profile}`);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/options.ts and src/config/profiles.ts by `npm run docs:config`. Do not edit by hand: a test fails when this file and the generator disagree. -->',
    '',
    'Each value is resolved from these layers, lowest precedence first: built-in defaults < profile < workload < environment variables < URL query parameters < explicit options. `pool.config.sources` and `pool.config.origins` say which layer, and which variable or parameter, set each value.',
    '',
    'Durations take a bare number in the variable’s own unit (milliseconds, or seconds where noted) or a suffixed value: `500ms`, `30s`, `5m`, `1h`. An empty variable counts as unset. Two names for one setting at the same level (a variable and its alias, two URL parameters, `DATABASE_URL` and `DB_URL`) that disagree are an error naming both. Every bad value is a `ConfigError` (`CONFIG_INVALID`) naming the variable, the value (passwords and tokens masked) and what is accepted.',
    '',
    '`DB_` is a prefix: `createPool({ envPrefix: \'ORDERS_\' })` reads `ORDERS_URL`, `ORDERS_POOL_MAX` and so on, so several pools can be configured in one process. Names marked “default prefix only” (`DATABASE_URL`, `DATABASE_POOL_*`, `DATABASE_CONNECTION_LIMIT`) are read only with the default `DB_` prefix.',
    '',
    `The profile comes from \`DB_PROFILE\` (${PROFILE_NAMES.join(', ')}), else from \`NODE_ENV\` (${nodeEnvNames.join(', ')}); any other \`NODE_ENV\` gives development. Workloads (\`DB_WORKLOAD\`): ${WORKLOAD_NAMES.join(', ')}.`,
    '',
    'URLs: `postgres://`, `postgresql://`, `mysql://`, `mariadb://`, `libsql://`, `http(s)://`, `ws(s)://`, `file:path`, `:memory:`, `sqlite:/abs/path`, `sqlite:///abs/path`, `sqlite:relative.db`, `sqlite::memory:`. Query parameters lifeguard reads are taken out of the URL given to the driver; every other parameter is passed on as written. An in-memory database gets one connection (each connection would be its own database); asking for more is an error.',
    '',
  ];
}

function rulesSection(): string[] {
  return [
    '## Rules checked together',
    '',
    '- `max` is at least 1, and `min` ≤ `max`. A `max` you set below the `min` of the profile or workload lowers that `min` to it (`max: 1` in production); a `min` you set above your `max` is an error.',
    '- `criticalQueryMs` ≥ `slowQueryMs` when both are on.',
    '- `utilizationWarning` ≤ `utilizationCritical`.',
    '- In-memory databases: `max` 1 and `min` at most 1. A profile’s or workload’s larger value is lowered; a larger value you set (variable, URL parameter or option) is an error.',
    '- A URL parameter given twice with different values is an error; `envPrefix` must end in `_`.',
    `- The api workload's \`maxWaiting\` is ${API_WAITERS_PER_CONNECTION} × the final \`max\`, whichever layer set \`max\`, unless \`maxWaiting\` is set itself.`,
    '',
  ];
}

export function configurationReference(): string {
  const special = SPECIAL_VARIABLES.map((v) => `| ${code(v.name)} | ${v.doc} |`);
  const lines = [
    ...introduction(),
    '## Connection, profile and secrets',
    '',
    '| variable | meaning |',
    '|---|---|',
    ...special,
    '',
    'Options without a variable: `password` replaces the URL’s password, and `authToken` is the one above; each takes a string, a `Secret`, or a function (`() => string | Promise<string>`) called for every new connection, for short-lived credentials such as RDS IAM tokens, Vault leases or Turso tokens. A function prints as `(function)`; its failure is a `ConnectionError` retried with backoff ([monitoring.md](monitoring.md#credentials-from-a-function)).',
    '',
    '## Workloads by profile',
    '',
    ...workloadTable(),
    '',
    ...rulesSection(),
    '## Settings',
    '',
    ...SETTINGS.flatMap(settingSection),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
