/**
 * A private MariaDB server for tests that need their own server settings (TLS): a data directory
 * made by mariadb-install-db in a temp dir, its own loopback port and socket, no option files read
 * (--no-defaults), run in the foreground as a child process and stopped by its pid. The shared
 * server on 3306 is never touched. As root, mariadbd drops to the mysql user (--user=mysql).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports';

const MARIADBD = process.env.TEST_MARIADBD_BIN ?? '/usr/sbin/mariadbd';
const INSTALL_DB = process.env.TEST_MARIADB_INSTALL_DB_BIN ?? '/usr/bin/mariadb-install-db';
const RUN_AS_ROOT = process.getuid?.() === 0;

export function mariadbServerUnavailableReason(): string | undefined {
  if (!existsSync(MARIADBD)) return `mariadbd not found at ${MARIADBD}`;
  if (!existsSync(INSTALL_DB)) return `mariadb-install-db not found at ${INSTALL_DB}`;
  if (RUN_AS_ROOT && spawnSync('id', ['-u', 'mysql']).status !== 0) return 'running as root and there is no mysql user to run mariadbd as';
  return undefined;
}

/** The mysql user's ids when running as root, else undefined. */
export function mysqlUserIds(): { uid: number; gid: number } | undefined {
  if (!RUN_AS_ROOT) return undefined;
  return {
    uid: Number(spawnSync('id', ['-u', 'mysql']).stdout.toString().trim()),
    gid: Number(spawnSync('id', ['-g', 'mysql']).stdout.toString().trim()),
  };
}

const running = new Set<{ child: ChildProcess; dir: string }>();

// A test that throws before its afterAll must not leave the server running on the shared machine.
process.once('exit', () => {
  for (const { child, dir } of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export class MariadbServer {
  private exited: Promise<void>;

  private constructor(
    readonly rootDir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const entry = { child, dir: rootDir };
    running.add(entry);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(entry);
        resolve();
      }),
    );
  }

  url(database = 'mysql', query = ''): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}${query ? `?${query}` : ''}`;
  }

  /** Installs a data directory and starts mariadbd with `settings` as extra --options. */
  static async start(settings: string[] = [], label = 'mariadb'): Promise<MariadbServer> {
    const rootDir = mkdtempSync(join(tmpdir(), `lifeguard-${label}-`));
    const ids = mysqlUserIds();
    if (ids) chownSync(rootDir, ids.uid, ids.gid);
    const dataDir = join(rootDir, 'data');
    await run(INSTALL_DB, ['--no-defaults', `--datadir=${dataDir}`, ...(ids ? ['--user=mysql'] : []), '--auth-root-authentication-method=normal', '--skip-test-db']);
    const port = await freePort();
    const args = [
      '--no-defaults', `--datadir=${dataDir}`, `--port=${port}`, '--bind-address=127.0.0.1',
      `--socket=${join(rootDir, 'mysqld.sock')}`, `--pid-file=${join(rootDir, 'mysqld.pid')}`, `--log-error=${join(rootDir, 'error.log')}`,
      '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=16M', '--max-connections=30',
      ...(ids ? ['--user=mysql'] : []), ...settings,
    ];
    const child = spawn(MARIADBD, args, { stdio: 'ignore' });
    const server = new MariadbServer(rootDir, port, child);
    try {
      await waitForPort(port, child, 30_000);
    } catch (err) {
      await server.stop();
      throw new Error(`private mariadbd did not start: ${(err as Error).message}\n${server.logTail()}`, { cause: err });
    }
    return server;
  }

  /** Gives every file in a directory to the user mariadbd runs as. */
  static handFilesTo(dir: string): void {
    const ids = mysqlUserIds();
    if (!ids) return;
    chownSync(dir, ids.uid, ids.gid);
    for (const file of readdirSync(dir)) chownSync(join(dir, file), ids.uid, ids.gid);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(join(this.rootDir, 'error.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  /** SIGTERM is mariadbd's clean shutdown; SIGKILL after 20 s if it has not gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.rootDir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 120_000, cwd: tmpdir() }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}
