/**
 * src/config/ — turning options, environment variables and URL parameters into one validated
 * ResolvedConfig: the settings table (options.ts) that the resolver, docs/configuration.md
 * (reference.ts) and the CLI all read, parsing (parse.ts, url.ts), presets (profiles.ts), and
 * masking what it holds for printing (config-secrets.ts). Pure: no I/O, no pool, no driver.
 */
export { resolveConfig } from './resolve';
export { parseDuration } from './parse';
export { SETTINGS, SPECIAL_VARIABLES, SSL_MODES } from './options';
export { DEFAULTS, PROFILES, WORKLOADS } from './profiles';
