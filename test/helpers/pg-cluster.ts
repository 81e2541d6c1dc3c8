/**
 * Private PostgreSQL clusters for tests that must stop, restart or reconfigure a server: a streaming
 * replica, TLS-only servers, restarts. The shared server on 5432 is never touched: each cluster is
 * initdb'd into its own temporary directory, listens on its own loopback port and its own socket
 * directory, and is stopped and removed by the test that started it.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root every server binary runs as the
 * `postgres` user (`runuser -u postgres --`) and the temporary directories are handed to that user.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export { freePort } from './ports';

export const PG_BIN_DIR = process.env.TEST_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const RUN_AS_ROOT = process.getuid?.() === 0;
const COMMAND_TIMEOUT_MS = 60_000;

/** Settings that keep a throwaway cluster small and quick on a shared two-core machine. */
const LEAN_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: '16MB',
  max_connections: '30',
  listen_addresses: "'127.0.0.1'",
  log_min_messages: 'warning',
};

export interface PgClusterOptions {
  /** postgresql.conf settings, values written as-is (quote strings yourself: "'on'"). */
  settings?: Record<string, string>;
  /** Replaces pg_hba.conf; default: trust for local, host and replication from loopback. */
  hbaLines?: string[];
  /**
   * Every role but `postgres` must log in over TCP with a password checked this way (pg_hba.conf
   * and password_encryption set to match); `postgres` stays trusted, so psql() keeps working.
   * Ignored when hbaLines is given.
   */
  passwordAuth?: 'scram-sha-256' | 'md5';
  /** A label in the temp directory's name, to find a leftover cluster's owner. */
  label?: string;
}

/** Why private clusters cannot run here, or undefined when they can. */
export function pgClusterUnavailableReason(): string | undefined {
  if (!existsSync(join(PG_BIN_DIR, 'initdb'))) return `PostgreSQL server binaries not found in ${PG_BIN_DIR} (set TEST_PG_BIN_DIR)`;
  if (RUN_AS_ROOT && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no postgres user to run the server as';
  return undefined;
}

const running = new Set<PgCluster>();

export class PgCluster {
  private constructor(
    readonly rootDir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.rootDir, 'data');
  }

  get socketDir(): string {
    return this.rootDir;
  }

  get logFile(): string {
    return join(this.rootDir, 'server.log');
  }

  /** A URL for the cluster; extra query parameters (sslmode, say) are appended. */
  url(database = 'postgres', query = ''): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}${query ? `?${query}` : ''}`;
  }

  /** initdb's a new cluster and starts it. */
  static async start(options: PgClusterOptions = {}): Promise<PgCluster> {
    const cluster = new PgCluster(makeOwnedTempDir(options.label ?? 'pg'), await freePort());
    try {
      await runAsPostgres(join(PG_BIN_DIR, 'initdb'), ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
      const auth = options.hbaLines ? undefined : options.passwordAuth;
      cluster.appendSettings({ ...LEAN_SETTINGS, ...(auth ? { password_encryption: `'${auth}'` } : {}), ...options.settings });
      if (options.hbaLines) cluster.writeHba(options.hbaLines);
      else if (auth) cluster.writeHba(['local all all trust', 'host all postgres 127.0.0.1/32 trust', `host all all 127.0.0.1/32 ${auth}`]);
      await cluster.startServer();
      return cluster;
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
  }

  /**
   * A hot standby streaming from `primary`, made the way operators make one: `pg_basebackup -R`
   * copies the data directory and writes primary_conninfo and standby.signal.
   */
  static async startReplicaOf(primary: PgCluster, options: { label?: string } = {}): Promise<PgCluster> {
    const replica = new PgCluster(makeOwnedTempDir(options.label ?? 'pg-replica'), await freePort());
    try {
      await runAsPostgres(join(PG_BIN_DIR, 'pg_basebackup'), [
        '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres',
        '-D', replica.dataDir, '-R', '-X', 'stream', '--no-sync', '-c', 'fast',
      ]);
      await replica.startServer();
      return replica;
    } catch (err) {
      await replica.destroy();
      throw err;
    }
  }

  appendSettings(settings: Record<string, string>): void {
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    appendFileSync(join(this.dataDir, 'postgresql.conf'), `\n${lines.join('\n')}\n`);
  }

  writeHba(lines: string[]): void {
    writeFileSync(join(this.dataDir, 'pg_hba.conf'), `${lines.join('\n')}\n`);
  }

  /** Starts the server (again) on its port; resolves when it accepts connections. */
  async startServer(): Promise<void> {
    // Port and socket directory on the command line: a replica's copied postgresql.conf names the primary's.
    const serverOptions = `-p ${this.port} -k ${this.socketDir} -c listen_addresses=127.0.0.1`;
    try {
      await runAsPostgres(join(PG_BIN_DIR, 'pg_ctl'), ['-D', this.dataDir, '-l', this.logFile, '-o', serverOptions, '-w', '-t', '60', 'start']);
    } catch (err) {
      throw new Error(`private PostgreSQL on port ${this.port} did not start: ${(err as Error).message}\n${this.logTail()}`, { cause: err });
    }
    running.add(this);
  }

  /** Stops the server; `immediate` is a crash as far as clients can tell. */
  async stopServer(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!running.has(this)) return;
    await runAsPostgres(join(PG_BIN_DIR, 'pg_ctl'), ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    running.delete(this);
  }

  /** Runs SQL with psql over TCP and returns its unaligned, tuples-only output. */
  async psql(sql: string, database = 'postgres'): Promise<string> {
    const out = await runAsPostgres(join(PG_BIN_DIR, 'psql'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    return out.trim();
  }

  /** Stops the server if it runs and removes every file; safe to call twice. */
  async destroy(): Promise<void> {
    try {
      if (running.has(this)) await this.stopServer('immediate');
    } finally {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  /** Synchronous last resort for a process that exits with clusters still running. */
  static stopAllSync(): void {
    for (const cluster of running) {
      spawnSync(...asPostgres(join(PG_BIN_DIR, 'pg_ctl'), ['-D', cluster.dataDir, '-m', 'immediate', '-w', 'stop']), { timeout: 10_000 });
      rmSync(cluster.rootDir, { recursive: true, force: true });
    }
    running.clear();
  }
}

// A test that throws before its afterAll must not leave a server running on the shared machine.
process.once('exit', () => PgCluster.stopAllSync());

/** The postgres user's ids when the tests run as root (servers then run as that user), else undefined. */
export function serverUserIds(): { uid: number; gid: number } | undefined {
  if (!RUN_AS_ROOT) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
  return { uid, gid };
}

/** A temporary directory owned by the user the server runs as. */
export function makeOwnedTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lifeguard-${label}-`));
  const ids = serverUserIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  return dir;
}

function asPostgres(command: string, args: string[]): [string, string[]] {
  return RUN_AS_ROOT ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Runs a command as the postgres user; rejects with its stderr when it fails or runs too long. */
export function runAsPostgres(command: string, args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const [file, argv] = asPostgres(command, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, cwd: tmpdir() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command.split('/').pop()} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/**
 * `describe` when private clusters can run here; otherwise a skipped suite with a printed line, or a
 * failing one under REQUIRE_DATABASES=1 (CI), where a missing tool must not pass silently.
 */
export function describePgCluster(label: string, body: () => void): void {
  const reason = pgClusterUnavailableReason();
  if (reason === undefined) {
    describe(label, body);
  } else if (process.env.REQUIRE_DATABASES === '1') {
    describe(label, () => {
      it('can start private PostgreSQL clusters (REQUIRE_DATABASES=1)', () => {
        throw new Error(`${label}: ${reason}`);
      });
    });
  } else {
    console.log(`${label}: ${reason}; suite skipped (set REQUIRE_DATABASES=1 to make this a failure)`);
    describe.skip(label, body);
  }
}
