/**
 * The PostgreSQL contract suite over verified TLS: every pool connects with sslMode verify-full to a
 * private cluster that accepts TLS only (hostssl), its certificate signed by a throwaway CA. The
 * suite's admin connection (to kill backends and look them up) is verified the same way.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { describePgCluster } from '../helpers/pg-cluster';
import { startTlsPostgres, type TlsPostgres } from '../helpers/tls-postgres';
import { runContractSuite } from './suite';
import { eventually, type ContractTarget, type KnownConnection } from './target';

function tlsPostgresTarget(): ContractTarget {
  let server: TlsPostgres | undefined;
  let admin: Client | undefined;
  const started = (): TlsPostgres => {
    if (!server) throw new Error('TLS postgres target: setup() has not run');
    return server;
  };
  const adminQuery = (sql: string, params: unknown[]) => {
    if (!admin) throw new Error('TLS postgres target: setup() has not run');
    return admin.query(sql, params);
  };
  return {
    label: 'postgres over TLS (verify-full)',
    describe: describePgCluster,
    async setup() {
      server = await startTlsPostgres('tls-contract');
      admin = new Client({
        host: 'localhost',
        port: server.cluster.port,
        user: 'postgres',
        database: 'postgres',
        ssl: { ca: readFileSync(server.ca.certFile, 'utf8'), servername: 'localhost' },
      });
      admin.on('error', () => undefined);
      await admin.connect();
    },
    async teardown() {
      await admin?.end();
      await server?.destroy();
    },
    url: () => `postgres://postgres@localhost:${started().cluster.port}/postgres?sslrootcert=${encodeURIComponent(started().ca.certFile)}`,
    placeholder: (n) => `$${n}`,
    autoIdColumn: 'serial PRIMARY KEY',
    reportsInsertId: false,
    poolOptions: { sslMode: 'verify-full' },
    async connectionId(conn) {
      const row = (await conn.query<{ pid: number; ssl: boolean }>('SELECT pid, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
      // Every connection the suite looks at must really be encrypted, not just configured to be.
      if (!row.ssl) throw new Error(`connection ${row.pid} is not using TLS`);
      return String(row.pid);
    },
    async breakConnection(conn: KnownConnection) {
      await adminQuery('SELECT pg_terminate_backend($1)', [Number(conn.id)]);
      await eventually(async () => !(await this.isOpen(conn)));
    },
    async isOpen(conn: KnownConnection) {
      const found = await adminQuery('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [Number(conn.id)]);
      return (found.rowCount ?? 0) > 0;
    },
  };
}

runContractSuite(tlsPostgresTarget());
