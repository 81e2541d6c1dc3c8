/**
 * Kills server-side backends the way an operator or a failover does — but only those of the pool
 * under test: the servers are shared with other engineers' suites running at the same moment.
 * PostgreSQL backends are chosen by application_name (unique per test pool); MariaDB connections
 * by the ids the pool itself reported (SELECT CONNECTION_ID() on each of its connections).
 */
import { Client as PgClient } from 'pg';
import { createConnection, type Connection as MysqlConnection } from 'mysql2/promise';

export interface BackendKiller {
  /** Kills every matching backend now; returns how many were killed. */
  killAll(): Promise<number>;
  /** Kills every matching backend each `everyMs` until stop(); returns the running total. */
  startPeriodic(everyMs: number): void;
  stop(): Promise<number>;
  close(): Promise<void>;
}

abstract class PeriodicKiller implements BackendKiller {
  killed = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  abstract killAll(): Promise<number>;
  abstract close(): Promise<void>;

  startPeriodic(everyMs: number): void {
    this.timer = setInterval(() => {
      // One round at a time: a slow round is not stacked under the next one.
      this.running = this.running.then(() => this.killAll().then((n) => (this.killed += n)));
    }, everyMs);
  }

  async stop(): Promise<number> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    return this.killed;
  }
}

/** Terminates the PostgreSQL backends whose application_name is exactly `applicationName`. */
export class PostgresBackendKiller extends PeriodicKiller {
  private constructor(
    private readonly admin: PgClient,
    private readonly applicationName: string,
  ) {
    super();
  }

  static async connect(url: string, applicationName: string): Promise<PostgresBackendKiller> {
    const admin = new PgClient({ connectionString: url, application_name: `${applicationName}_killer` });
    admin.on('error', () => undefined); // the test reports through its own assertions
    await admin.connect();
    return new PostgresBackendKiller(admin, applicationName);
  }

  async killAll(): Promise<number> {
    const result = await this.admin.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
        WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [this.applicationName],
    );
    return result.rows.filter((row) => row.killed).length;
  }

  /** Backends of the pool that exist right now. */
  async count(): Promise<number> {
    const result = await this.admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
      this.applicationName,
    ]);
    return Number(result.rows[0].n);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.admin.end();
  }
}

/** KILLs the MariaDB connections whose ids were reported to it with track(). */
export class MysqlBackendKiller extends PeriodicKiller {
  private readonly ids = new Set<number>();

  private constructor(private readonly admin: MysqlConnection) {
    super();
  }

  static async connect(url: string): Promise<MysqlBackendKiller> {
    const admin = await createConnection(url);
    admin.on('error', () => undefined);
    return new MysqlBackendKiller(admin);
  }

  /** Records a connection id of the pool under test (from SELECT CONNECTION_ID()). */
  track(id: number): void {
    this.ids.add(id);
  }

  async killAll(): Promise<number> {
    if (this.ids.size === 0) return 0;
    // Only ids that are still connected: a MariaDB id is never reused while the server runs,
    // but asking first keeps the killer's errors meaningful.
    const [rows] = await this.admin.query(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID IN (${[...this.ids].join(',')})`);
    let killed = 0;
    for (const { id } of rows as { id: number }[]) {
      try {
        await this.admin.query(`KILL CONNECTION ${Number(id)}`);
        killed++;
      } catch (err) {
        // 1094 "Unknown thread id": it went away between the two statements.
        if ((err as { errno?: number }).errno !== 1094) throw err;
      }
    }
    return killed;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.admin.end();
  }
}
