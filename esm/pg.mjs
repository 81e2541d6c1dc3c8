// ESM entry of lifeguard/pg: the CommonJS build re-exported by name, so `import { PgPool } from
// 'lifeguard/pg'` and `require('lifeguard/pg')` share one module instance, one pg and one class.
import lifeguardPg from '../dist/src/integrations/pg/index.js';

export const { PgPool, pgPool, LifeguardPgClient } = lifeguardPg;
