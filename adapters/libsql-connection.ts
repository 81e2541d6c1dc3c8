import type { Client, Transaction } from '@libsql/client';

/** One lifeguard connection on libsql: one client (concurrency 1), and its open transaction. */
export interface LibsqlConnection {
  readonly client: Client;
  /**
   * An embedded file (or :memory:): the driver's calls run synchronously inside them, so they are
   * made without stack traces for the errors the driver throws away (libsql-quiet.ts).
   */
  readonly embedded?: boolean;
  /** The open transaction, if any; queries go through it while it is open. */
  tx: Transaction | undefined;
  /** Set when a BEGIN failed: the client is unusable for transactions from then on (see begin). */
  beginFailed?: unknown;
  /** The savepoint whose SQL opened the open transaction, if one did (its RELEASE commits). */
  savepointRoot?: string;
}
