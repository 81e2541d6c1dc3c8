// ESM entry of lifeguard/kysely: the CommonJS build re-exported by name.
import kysely from '../dist/src/integrations/kysely/index.js';

export const { LifeguardDialect, retryTransaction } = kysely;
