export { resolveConfig } from './resolve';
export { parseDuration } from './parse';
export { SETTINGS, SPECIAL_VARIABLES, SSL_MODES } from './options';
export { DEFAULTS, PROFILES, WORKLOADS } from './profiles';
