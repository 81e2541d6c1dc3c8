import type { Connection, ConnectionOptions } from 'mysql2';

/** How long KILL QUERY may take (connect, authenticate, answer) before the pool stops waiting for it. */
const CANCEL_WAIT_MS = 2000;

/**
 * MySQL and MariaDB stop a statement only when told to from another session: `KILL QUERY <id>`
 * on a second connection, opened with the options (and the secret) that opened the first. The
 * session itself stays; the pool destroys it. Resolves once the server answered (an id that is
 * already gone answers ER_NO_SUCH_THREAD, which is fine), on any error, or after CANCEL_WAIT_MS;
 * never rejects.
 */
export function killRunningStatement(createConnection: (options: ConnectionOptions) => Connection, conn: Connection, options: ConnectionOptions | undefined): Promise<void> {
  const threadId = conn.threadId;
  if (options === undefined || typeof threadId !== 'number') return Promise.resolve();
  return new Promise<void>((resolve) => {
    let killer: Connection;
    try {
      killer = createConnection({ ...options, connectTimeout: CANCEL_WAIT_MS });
    } catch {
      resolve();
      return;
    }
    const timer = setTimeout(() => finish(true), CANCEL_WAIT_MS);
    function finish(destroy: boolean): void {
      clearTimeout(timer);
      if (destroy) killer.destroy();
      resolve();
    }
    killer.on('error', () => finish(true));
    killer.query(`KILL QUERY ${threadId}`, () => {
      // Told the server; leave politely so it logs no aborted connection.
      killer.end(() => finish(false));
    });
  });
}
