/**
 * lifeguard/pg: a pg.Pool that is a lifeguard pool. `new PgPool(options)` and `pgPool(pool)` give
 * an object that is `instanceof pg.Pool` of the application's own pg, so Prisma
 * (@prisma/adapter-pg), Drizzle node-postgres, Kysely's PostgresDialect and anything else written
 * for pg.Pool take it, while every query it runs is a lifeguard operation on a lifeguard
 * connection. Loading this entry loads pg; the main `lifeguard` entry never does.
 */
export { PgPool, pgPool } from './pg-pool';
export type { PgPoolOptions } from './pg-pool';
export { LifeguardPgClient } from './client';
export type { PgClientClass } from './options';
