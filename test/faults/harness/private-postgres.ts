/**
 * A private PostgreSQL 15 cluster for the tests that stop, restart or start late a server: the
 * shared server on 5432 serves six other engineers and must never be stopped. initdb into a temp
 * dir, start on a free port, stop, restart, remove. PostgreSQL refuses to run as root, so when the
 * tests run as root its binaries run as the postgres user (runuser) in a directory it owns.
 * Every cluster started is also stopped on process exit, so a failing test cannot leave one behind.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const running = new Set<PrivatePostgres>();

process.on('exit', () => {
  for (const cluster of running) cluster.stopNowSync();
});

/** Whether this machine can run a private cluster (the binaries exist, and a postgres user when root). */
export function canRunPrivatePostgres(): boolean {
  if (!existsSync(join(PG_BIN, 'initdb'))) return false;
  if (process.getuid?.() !== 0) return true;
  return spawnSync('id', ['-u', 'postgres']).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Creates a cluster (not started) in a fresh temp dir, on a port that was free a moment ago. */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'lifeguard-pg-'));
    const cluster = new PrivatePostgres(dir, await freePort());
    if (process.getuid?.() === 0) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(dir, uid, gid);
    }
    await cluster.pg('initdb', ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    return cluster;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    running.add(this);
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=40`;
    await this.pg('pg_ctl', ['-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
  }

  /** Fast shutdown: backends are terminated (clients see 57P01), the port closes. */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    running.delete(this);
  }

  /** Stops the server if it runs and deletes its directory. */
  async remove(): Promise<void> {
    if (running.has(this)) await this.stop().catch(() => this.stopNowSync());
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort on process exit: immediate shutdown, synchronously. */
  stopNowSync(): void {
    const [cmd, args] = this.command('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    spawnSync(cmd, args, { timeout: 10_000 });
    running.delete(this);
  }

  private async pg(binary: string, args: string[]): Promise<void> {
    const [cmd, argv] = this.command(binary, args);
    try {
      await run(cmd, argv, { timeout: 60_000, cwd: this.dir });
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: string; stdout?: string };
      throw new Error(`${binary} ${args.join(' ')} failed: ${stderr || stdout || String(err)}`, { cause: err });
    }
  }

  private command(binary: string, args: string[]): [string, string[]] {
    const path = join(PG_BIN, binary);
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}
