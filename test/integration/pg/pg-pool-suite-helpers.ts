/**
 * What the port of node-postgres's pg-pool test suite (packages/pg-pool/test/*.js, brianc/node-postgres)
 * needs besides testPgPool: pg's tests fake failing connections with mock clients and reach into
 * pg.Client's internals; here a real pg.Client subclass fails or delays its connect() instead, and a
 * backend is broken the way an operator would break it (pg_terminate_backend, by the pid we saw).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

export const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A pg.Client class whose connect() is `plan(n)` for its n-th attempt (0-based): fail after ms, delay by ms, or go through. */
export type ConnectPlan = { fail: Error; afterMs: number } | { delayMs: number } | undefined;

export function plannedClient(plan: (attempt: number) => ConnectPlan, configs: pg.ClientConfig[] = []): new (config?: pg.ClientConfig) => pg.Client {
  let attempts = 0;
  return class PlannedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      if (config) configs.push(config);
      const connect = this.connect.bind(this) as (callback?: (err?: Error) => void) => Promise<void> | void;
      const step = plan(attempts++);
      (this as unknown as { connect: unknown }).connect = (callback?: (err?: Error) => void) => {
        if (step === undefined) return connect(callback);
        const outcome =
          'fail' in step
            ? new Promise<void>((_, reject) => setTimeout(() => reject(step.fail), step.afterMs))
            : new Promise<void>((resolve) => setTimeout(resolve, step.delayMs)).then(() => connect() as Promise<void>);
        if (!callback) return outcome;
        outcome.then(() => callback(), (err: Error) => callback(err));
        return undefined;
      };
    }
  };
}

/** Listens on a free loopback port; close() destroys the sockets still open, then stops listening. */
async function listening(server: Server, sockets: ReadonlySet<Socket> = new Set()): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections and never says a word (pg's connection-timeout.js server). */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return listening(server, sockets);
}

/** A TCP server that closes every connection at once (error-handling.js's closeServer). */
export async function closingServer(): Promise<{ port: number; close(): Promise<void> }> {
  return listening(createServer((socket) => socket.destroy()));
}

/**
 * A TCP proxy to PostgreSQL that holds its n-th connection (0-based) back for `delayMs(n)` before
 * forwarding it: a connection that takes that long to establish, made on the network rather than
 * by a patched client. A connection its client dropped meanwhile never reaches the server.
 */
export async function delayingProxy(target: { host: string; port: number }, delayMs: (n: number) => number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let n = 0;
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.on('close', () => sockets.delete(downstream));
    downstream.on('error', () => undefined);
    downstream.pause();
    setTimeout(() => {
      if (downstream.destroyed) return;
      const upstream = connect(target.port, target.host);
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        downstream.destroy();
      });
      upstream.on('error', () => downstream.destroy());
      downstream.on('close', () => upstream.destroy());
      downstream.pipe(upstream).pipe(downstream);
      downstream.resume();
    }, delayMs(n++));
  });
  return listening(server, sockets);
}

/** The backend pid of a PoolClient, as pg reports it (no query needed). */
export function pidOf(client: unknown): number {
  return (client as { processID: number }).processID;
}
