/**
 * A private PgBouncer for tests: its own config in a temporary directory, its own loopback port,
 * in front of a PostgreSQL server given by URL, run in the foreground as a child process so the
 * test that started it can stop it by its pid. PgBouncer refuses to run as root, so as root it runs
 * as the postgres user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeOwnedTempDir, serverUserIds } from './pg-cluster';
import { freePort, waitForPort } from './ports';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

export function pgbouncerBinary(): string | undefined {
  return process.env.TEST_PGBOUNCER_BIN ?? CANDIDATES.find((path) => existsSync(path));
}

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it (user and database are taken from it). */
  upstreamUrl: string;
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per user and database: what the clients share. */
  defaultPoolSize?: number;
}

const running = new Set<{ child: ChildProcess; dir: string }>();

// A test that throws before its afterAll must not leave the server running on the shared machine.
process.once('exit', () => {
  for (const { child, dir } of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export class PgBouncer {
  private exited: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly database: string,
    private readonly child: ChildProcess,
  ) {
    const entry = { child, dir: dir };
    running.add(entry);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(entry);
        resolve();
      }),
    );
  }

  url(query = ''): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${this.database}${query ? `?${query}` : ''}`;
  }

  /** PgBouncer's admin console: SHOW CLIENTS, SHOW SERVERS, SHOW POOLS (simple queries only). */
  adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/pgbouncer`;
  }

  static async start(options: PgBouncerOptions): Promise<PgBouncer> {
    const binary = pgbouncerBinary();
    if (!binary) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
    const upstream = new URL(options.upstreamUrl);
    const database = upstream.pathname.slice(1) || 'postgres';
    const dir = makeOwnedTempDir('pgbouncer');
    const port = await freePort();
    writeFileSync(join(dir, 'userlist.txt'), `"${decodeURIComponent(upstream.username || 'postgres')}" ""\n`);
    writeFileSync(join(dir, 'pgbouncer.ini'), config(options, { dir, port, database, upstream }));
    const child = spawn(binary, [join(dir, 'pgbouncer.ini')], { stdio: 'ignore', ...runAsPostgres() });
    const bouncer = new PgBouncer(dir, port, database, child);
    try {
      await waitForPort(port, child, 10_000);
    } catch (err) {
      await bouncer.stop();
      throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${bouncer.logTail()}`, { cause: err });
    }
    return bouncer;
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(join(this.dir, 'pgbouncer.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no pgbouncer log)';
    }
  }

  /** SIGINT is PgBouncer's immediate shutdown; SIGKILL after 5 s if it has not gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function config(options: PgBouncerOptions, at: { dir: string; port: number; database: string; upstream: URL }): string {
  const { dir, port, database, upstream } = at;
  return [
    '[databases]',
    `${database} = host=${upstream.hostname} port=${upstream.port || 5432} dbname=${database}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.defaultPoolSize ?? 5}`,
    'max_client_conn = 100',
    // The admin console (database "pgbouncer") for SHOW CLIENTS and the like.
    `admin_users = ${decodeURIComponent(upstream.username || 'postgres')}`,
    // What libpq-based tools send; statement_timeout stays refused, as in a default install (see docs/pgbouncer.md).
    'ignore_startup_parameters = extra_float_digits',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
}

function runAsPostgres(): { uid?: number; gid?: number } {
  return serverUserIds() ?? {};
}
