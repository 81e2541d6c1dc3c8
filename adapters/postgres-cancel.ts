import type { Client } from 'pg';
import type { ConnectionOptions } from 'node:tls';

/** How long a cancel request may take to reach the server before the pool stops waiting for it. */
const CANCEL_WAIT_MS = 2000;

/** The part of pg's wire-protocol Connection a cancel request needs (pg exports the class). */
export interface PgWireConnection {
  connect(port: number | string, host?: string): void;
  requestSsl(): void;
  cancel(processID: number, secretKey: number): void;
  on(event: 'error' | 'end' | 'connect' | 'sslconnect', listener: (...args: unknown[]) => void): unknown;
  stream?: { destroy(): void };
}
export type PgWireConnectionClass = new (config: { ssl?: ConnectionOptions | boolean; keepAlive?: boolean }) => PgWireConnection;

interface ClientIdentity {
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
  ssl: ConnectionOptions | boolean;
}

/**
 * PostgreSQL's CancelRequest for the statement running on `client`: a new socket to the same
 * server carrying the backend's process id and secret key (over TLS when the client used TLS),
 * which the server answers by interrupting that backend's statement and closing the socket. The
 * session itself stays; the pool destroys it. Resolves when the server closed the socket, on
 * any error, or after CANCEL_WAIT_MS; never rejects. A client without a backend key (pg-native,
 * a custom stream) has nothing to send.
 */
export function sendCancelRequest(Connection: PgWireConnectionClass | undefined, client: Client): Promise<void> {
  const { processID, secretKey, host, port, ssl } = client as unknown as ClientIdentity;
  if (Connection === undefined || processID === null || secretKey === null || processID === undefined || secretKey === undefined) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const con = new Connection({ ssl, keepAlive: false });
    const done = () => {
      clearTimeout(timer);
      con.stream?.destroy();
      resolve();
    };
    const timer = setTimeout(done, CANCEL_WAIT_MS);
    const send = () => con.cancel(processID, secretKey);
    con.on('error', done);
    con.on('end', done);
    con.on('connect', () => (ssl ? con.requestSsl() : send()));
    con.on('sslconnect', send);
    if (host.startsWith('/')) con.connect(`${host}/.s.PGSQL.${port}`);
    else con.connect(port, host);
  });
}
