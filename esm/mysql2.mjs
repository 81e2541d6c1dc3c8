// ESM entry of lifeguard/mysql2: the CommonJS build re-exported by name, so `import` and
// `require('lifeguard/mysql2')` share one module instance.
import lifeguardMysql2 from '../dist/src/integrations/mysql2/index.js';

export const { mysql2Pool, LifeguardMysql2Pool, LifeguardMysqlConnection } = lifeguardMysql2;
