import type { Adapter } from '../../adapters/contract';
import { withDeadline } from '../shared/deadline';
import type { Connection } from './connection';

/** How long close() waits for cancel requests still on their way, beyond its own drain. */
const CANCEL_WAIT_MS = 2000;

/**
 * Asks the server to stop statements the pool gave up on (see Adapter.cancel), and remembers the
 * requests still on their way so that close() can wait for them: a process that exits right after
 * close() would otherwise leave the statement running, and its locks held, on the server.
 */
export class StatementCanceller {
  private readonly sending = new Set<Promise<void>>();

  constructor(private readonly adapter: Adapter<unknown>) {}

  /** Sends the cancel for the statement running on conn, without waiting for it; never throws. */
  readonly cancel = (conn: Connection): void => {
    const cancel = this.adapter.cancel;
    if (cancel === undefined) return;
    let request: Promise<void>;
    try {
      request = cancel.call(this.adapter, conn.raw);
    } catch {
      return;
    }
    const sent: Promise<void> = request.catch(() => undefined).then(() => {
      this.sending.delete(sent);
    });
    this.sending.add(sent);
  };

  /** Cancels the statements still running on the connections close() is giving up on. */
  cancelRunning(conns: Iterable<Connection>): void {
    for (const conn of conns) if (conn.statementsRunning > 0) this.cancel(conn);
  }

  /** Resolves when every cancel sent so far was delivered or given up on, within CANCEL_WAIT_MS. */
  async settled(): Promise<void> {
    if (this.sending.size === 0) return;
    await withDeadline(Promise.all(this.sending), CANCEL_WAIT_MS, () => undefined);
  }
}
