import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createConnection, type Connection } from 'mysql2';
import type BetterSqlite3 from 'better-sqlite3';
import type { EmbeddedLibsqlConnection } from '../../adapters/libsql-connection';
import { MYSQL_URL, POSTGRES_URL, describeMysql, describePostgres, uniqueName } from '../helpers/databases';
import { eventually, type ContractTarget, type KnownConnection } from './target';

export interface ServerTargetOptions {
  /** The URL the pools use (default TEST_POSTGRES_URL / TEST_MYSQL_URL). */
  url?: string;
  label?: string;
  /** Where the suite's admin connection goes to kill backends; default `url`. Give the server itself when `url` is a proxy. */
  adminUrl?: string;
}

export function postgresTarget(options: ServerTargetOptions = {}): ContractTarget {
  const url = options.url ?? POSTGRES_URL;
  let admin: Client | undefined;
  const adminQuery = async (sql: string, params: unknown[]) => {
    if (!admin) throw new Error('postgres target: setup() has not run');
    return admin.query(sql, params);
  };
  return {
    label: options.label ?? 'postgres',
    describe: describePostgres,
    async setup() {
      admin = new Client({ connectionString: options.adminUrl ?? url, application_name: uniqueName('contract_admin') });
      admin.on('error', () => undefined);
      await admin.connect();
    },
    async teardown() {
      await admin?.end();
    },
    url: () => url,
    placeholder: (n) => `$${n}`,
    autoIdColumn: 'serial PRIMARY KEY',
    reportsInsertId: false,
    poolOptions: { sslMode: 'disable' },
    async connectionId(conn) {
      return String((await conn.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    },
    async breakConnection(conn: KnownConnection) {
      // Only the backend this suite opened: its pid came from that very connection.
      await adminQuery('SELECT pg_terminate_backend($1)', [Number(conn.id)]);
      await eventually(async () => !(await this.isOpen(conn)));
    },
    async isOpen(conn: KnownConnection) {
      const found = await adminQuery('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [Number(conn.id)]);
      return (found.rowCount ?? 0) > 0;
    },
  };
}

export function mysqlTarget(options: ServerTargetOptions = {}): ContractTarget {
  const url = options.url ?? MYSQL_URL;
  let admin: Connection | undefined;
  const adminQuery = (sql: string, params: unknown[]) =>
    new Promise<unknown[]>((resolve, reject) => {
      if (!admin) return reject(new Error('mysql target: setup() has not run'));
      admin.query(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as unknown[])));
    });
  return {
    label: options.label ?? 'mysql',
    describe: describeMysql,
    async setup() {
      const parsed = new URL(options.adminUrl ?? url);
      admin = createConnection({
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password) || undefined,
        database: parsed.pathname.slice(1) || undefined,
      });
      admin.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => admin?.connect((err) => (err ? reject(err) : resolve())));
    },
    async teardown() {
      await new Promise<void>((resolve) => (admin ? admin.end(() => resolve()) : resolve()));
    },
    url: () => url,
    placeholder: () => '?',
    autoIdColumn: 'INT AUTO_INCREMENT PRIMARY KEY',
    reportsInsertId: true,
    poolOptions: { sslMode: 'disable' },
    async connectionId(conn) {
      return String((await conn.query<{ id: number }>('SELECT CONNECTION_ID() AS id')).rows[0].id);
    },
    async breakConnection(conn: KnownConnection) {
      await adminQuery('KILL ?', [Number(conn.id)]);
      await eventually(async () => !(await this.isOpen(conn)));
    },
    async isOpen(conn: KnownConnection) {
      const rows = await adminQuery('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [Number(conn.id)]);
      return rows.length > 0;
    },
  };
}

/**
 * Embedded files have no server to ask, so each connection marks itself: a TEMP table lives in
 * one SQLite connection only, and a new connection starts without it.
 */
async function embeddedMarker(conn: { query: (sql: string) => Promise<{ rows: unknown[] }> }): Promise<string> {
  await conn.query('CREATE TEMP TABLE IF NOT EXISTS lifeguard_connection_marker AS SELECT lower(hex(randomblob(8))) AS id');
  const rows = (await conn.query('SELECT id FROM temp.lifeguard_connection_marker')).rows as Array<{ id: string }>;
  return rows[0].id;
}

export function embeddedTarget(label: string, scheme: string, close: (raw: unknown) => void, isOpen: (raw: unknown) => boolean): ContractTarget {
  let dir: string | undefined;
  return {
    label,
    describe: (name, body) => describe(name, body),
    async setup() {
      dir = mkdtempSync(join(tmpdir(), `lifeguard-contract-${scheme}-`));
    },
    async teardown() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    url: () => `${scheme}:${join(dir as string, 'contract.db')}`,
    placeholder: () => '?',
    autoIdColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    reportsInsertId: true,
    connectionId: (conn) => embeddedMarker(conn),
    async breakConnection(conn) {
      close(conn.raw);
    },
    async isOpen(conn) {
      return isOpen(conn.raw);
    },
  };
}

export const libsqlTarget = (): ContractTarget =>
  embeddedTarget(
    'libsql (embedded file)',
    'file',
    (raw) => (raw as EmbeddedLibsqlConnection).db.close(),
    (raw) => (raw as EmbeddedLibsqlConnection).db.open,
  );

export const sqliteTarget = (): ContractTarget =>
  embeddedTarget(
    'sqlite (better-sqlite3)',
    'sqlite',
    (raw) => (raw as BetterSqlite3.Database).close(),
    (raw) => (raw as BetterSqlite3.Database).open,
  );
