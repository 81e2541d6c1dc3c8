import type { Client, Transaction } from '@libsql/client';
import type { EmbeddedLibsqlConnection } from './libsql-embedded-connection';

/** One lifeguard connection on a libsql server: one client (concurrency 1), and its open transaction. */
export interface RemoteLibsqlConnection {
  readonly kind: 'remote';
  readonly client: Client;
  /** The open transaction, if any; queries go through it while it is open. */
  tx: Transaction | undefined;
  /** Set when a BEGIN failed: the client is unusable for transactions from then on (see beginOn). */
  beginFailed?: unknown;
  /** The savepoint whose SQL opened the open transaction, if one did (its RELEASE commits). */
  savepointRoot?: string;
}

/**
 * `lease.raw` on a libsql pool: on an embedded file (`file:`, `:memory:`) the libsql Database in
 * `.db` (better-sqlite3's API); on a server the @libsql/client client in `.client`.
 */
export type LibsqlConnection = EmbeddedLibsqlConnection | RemoteLibsqlConnection;
export type { EmbeddedLibsqlConnection };
