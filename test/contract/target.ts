import type { PoolOptions, PooledConnection } from '../../src';

/** One connection as the suite knows it: the database's own id for it, and the driver object. */
export interface KnownConnection {
  /** The id the database gives the connection: pg_backend_pid(), CONNECTION_ID(), a per-connection marker. */
  id: string;
  raw: unknown;
}

/**
 * Everything the contract suite needs to know about one database. A new adapter is done when a
 * target for it passes `runContractSuite`. To run the PostgreSQL suite through a proxy that keeps
 * one backend per client, call `postgresTarget({ url, label, adminUrl })` with the proxy's URL.
 * Behind a transaction-mode pooler pg_backend_pid() no longer names a client connection (five
 * tests fail that way); pgbouncer.contract.test.ts has a target that asks PgBouncer instead.
 */
export interface ContractTarget {
  /** Names the suite: 'postgres', 'postgres via pgbouncer', ... */
  label: string;
  /** describe(), or a wrapper that skips (or fails under REQUIRE_DATABASES=1) when the server is away. */
  describe(label: string, body: () => void): void;
  /** Opens what the target needs for the whole suite (an admin connection, a temp directory). */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The URL every pool of the suite uses (embedded targets: a file in the suite's temp directory). */
  url(): string;
  /** The placeholder for the n-th parameter, counting from 1: `$1` or `?`. */
  placeholder(n: number): string;
  /** Column definition of an auto-incrementing integer primary key. */
  autoIdColumn: string;
  /** Whether results of INSERT carry lastInsertId. */
  reportsInsertId: boolean;
  /** Extra pool options (sslMode for servers, say). */
  poolOptions?: PoolOptions;
  /** Asks the database which connection this is. */
  connectionId(conn: PooledConnection): Promise<string>;
  /** Breaks the connection for real (a server kills it from another connection; an embedded handle is closed). Resolves once it is broken. */
  breakConnection(conn: KnownConnection): Promise<void>;
  /** Whether the database still holds the connection open. */
  isOpen(conn: KnownConnection): Promise<boolean>;
}

/** Waits until a condition holds, polling; false when it still does not hold after timeoutMs. */
export async function eventually(condition: () => Promise<boolean>, timeoutMs = 3000, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
