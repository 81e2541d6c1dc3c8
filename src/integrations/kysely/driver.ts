import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from 'kysely';
import type { Pool } from '../../pool/pool';
import { LifeguardKyselyConnection } from './connection';
import type { KyselyModule } from './kysely-module';

type Family = 'postgres' | 'mysql' | 'sqlite';

/**
 * Kysely's Driver over a lifeguard pool. A Kysely "connection" takes a lease only when it first
 * runs a statement, and a Kysely transaction is a pool.transaction held open (openTransaction), so
 * it never holds two connections at once.
 */
export class LifeguardKyselyDriver implements Driver {
  constructor(
    private readonly pool: Pool,
    private readonly family: Family,
    private readonly kysely: KyselyModule,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new LifeguardKyselyConnection(this.pool, this.family, this.kysely);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as LifeguardKyselyConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as LifeguardKyselyConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as LifeguardKyselyConnection).rollback();
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.savepointCommand(connection, 'savepoint', name, compileQuery);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.savepointCommand(connection, 'rollback to', name, compileQuery);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.savepointCommand(connection, 'release savepoint', name, compileQuery);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as LifeguardKyselyConnection).release();
  }

  /** The pool is its creator's to close (pool.close() or the shutdown hooks); db.destroy() leaves it open. */
  async destroy(): Promise<void> {}

  private async savepointCommand(connection: DatabaseConnection, command: string, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    const { RawNode, IdentifierNode } = this.kysely;
    // As Kysely's own drivers build it: the identifier node quotes the name for the dialect.
    const node = RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
    await connection.executeQuery(compileQuery(node, { queryId: `savepoint-${name}` }));
  }
}
