/**
 * The PostgreSQL contract suite, run through a private PgBouncer in transaction mode in front of
 * the local PostgreSQL. Behind PgBouncer a lifeguard connection is a client connection to PgBouncer,
 * not a backend: `pg_backend_pid()` names whichever backend served one statement. So this target
 * identifies a connection by what PgBouncer itself lists (SHOW CLIENTS: the client's port), breaks
 * one by really closing its socket, and asks PgBouncer's admin console whether it is still open.
 */
import { Client } from 'pg';
import { describePostgres, POSTGRES_URL, REQUIRE_DATABASES } from '../helpers/databases';
import { PgBouncer, pgbouncerBinary } from '../helpers/pgbouncer';
import { runContractSuite } from './suite';
import { eventually, type ContractTarget, type KnownConnection } from './target';

interface PgSocket {
  connection?: { stream?: { localPort?: number; destroy(): void } };
}

const missing = pgbouncerBinary() === undefined;
if (missing && !REQUIRE_DATABASES) console.log('PgBouncer contract suite: pgbouncer is not installed (apt-get install pgbouncer); suite skipped');

function pgbouncerTarget(): ContractTarget {
  let bouncer: PgBouncer | undefined;
  let admin: Client | undefined;
  const clientPorts = async (): Promise<Set<number>> => {
    if (!admin) throw new Error('pgbouncer target: setup() has not run');
    const rows = (await admin.query<{ port: number; database: string }>('SHOW CLIENTS')).rows;
    return new Set(rows.filter((row) => row.database !== 'pgbouncer').map((row) => Number(row.port)));
  };
  return {
    label: 'postgres via pgbouncer (transaction mode)',
    describe: missing && !REQUIRE_DATABASES ? describe.skip : describePostgres,
    async setup() {
      bouncer = await PgBouncer.start({ upstreamUrl: POSTGRES_URL, poolMode: 'transaction', defaultPoolSize: 4 });
      admin = new Client({ connectionString: bouncer.adminUrl() });
      admin.on('error', () => undefined);
      await admin.connect();
    },
    async teardown() {
      await admin?.end();
      await bouncer?.stop();
    },
    url: () => {
      if (!bouncer) throw new Error('pgbouncer target: setup() has not run');
      return bouncer.url();
    },
    placeholder: (n) => `$${n}`,
    autoIdColumn: 'serial PRIMARY KEY',
    reportsInsertId: false,
    poolOptions: { sslMode: 'disable' },
    async connectionId(conn) {
      const port = (conn.raw as PgSocket).connection?.stream?.localPort;
      if (port === undefined) throw new Error('pgbouncer target: the pg client has no socket');
      return String(port);
    },
    async breakConnection(conn: KnownConnection) {
      (conn.raw as PgSocket).connection?.stream?.destroy();
      await eventually(async () => !(await this.isOpen(conn)));
    },
    async isOpen(conn: KnownConnection) {
      return (await clientPorts()).has(Number(conn.id));
    },
  };
}

runContractSuite(pgbouncerTarget());
