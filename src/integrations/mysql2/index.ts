/**
 * lifeguard/mysql2: `mysql2Pool(pool)` gives a mysql2 Pool (callback and promise style) over a
 * lifeguard mysql pool, so drizzle-orm/mysql2 and Kysely's MysqlDialect run on it while every
 * query is a lifeguard operation on a lifeguard connection. mysql2 itself is loaded by the pool's
 * adapter (a missing mysql2 is the DriverMissingError naming it); this entry imports only its types.
 */
export { mysql2Pool, LifeguardMysql2Pool } from './mysql2-pool';
export { LifeguardMysqlConnection } from './pool-connection';
