// ESM entry of lifeguard/libsql: the CommonJS build re-exported by name, so both share one module
// instance (and the pools they are given).
import libsql from '../dist/src/integrations/libsql/index.js';

export const { libsqlClient, LifeguardLibsqlClient } = libsql;
