/**
 * A TCP proxy on node:net that sits between a pool and its database server and breaks the path
 * between them on demand, the way networks really fail:
 *
 *  - cutAll():      every open socket is reset (RST) on both sides, as when a NAT or load balancer
 *                   drops its state or the server host reboots;
 *  - blackhole():   bytes stop flowing but no socket is closed (a firewall that silently drops
 *                   packets): new connections are accepted and hear nothing either. With
 *                   'toClient', requests still reach the server and only its answers are lost;
 *  - setLatencyMs(): every chunk is delayed, in order;
 *  - refuseNew():   the listener closes, so new connections get ECONNREFUSED; open ones keep working;
 *  - dropIdleAfter(ms): a NAT's idle timeout: a connection with no byte either way for longer than
 *                   that is forgotten, silently (see forget());
 *  - forgetAll():   every open connection is forgotten now, as by a NAT that lost its table;
 *  - resume():      back to a healthy path (existing blackholed sockets stay as they are).
 *
 * A forgotten connection is what a client behind a NAT sees: nothing tells it; whatever it sends
 * is lost and nothing comes back. The server's side is closed, as the server's own TCP keepalive
 * would in the end, so a test leaves no backend behind.
 */
import * as net from 'node:net';

interface Link {
  client: net.Socket;
  server: net.Socket;
  /** Date.now() of the last byte either way. */
  lastActivityAt: number;
  /** Forgotten by the "NAT": bytes either way are dropped, nothing is closed on the client's side. */
  forgotten: boolean;
}

type Direction = 'toServer' | 'toClient';

/** Delivers chunks to one socket, each no earlier than `latencyMs` after it arrived, in order. */
class DelayedWriter {
  private lastDueAt = 0;

  constructor(
    private readonly target: net.Socket,
    private readonly proxy: TcpProxy,
    private readonly direction: Direction,
    private readonly link: Link,
  ) {}

  private get dropping(): boolean {
    return this.link.forgotten || this.proxy.blackholed === 'both' || this.proxy.blackholed === this.direction;
  }

  push(chunk: Buffer): void {
    if (this.dropping) return; // dropped on the floor, like a packet
    this.link.lastActivityAt = Date.now();
    const latencyMs = this.proxy.latencyMs;
    if (latencyMs <= 0 && this.lastDueAt <= Date.now()) {
      this.write(chunk);
      return;
    }
    const dueAt = Math.max(Date.now() + latencyMs, this.lastDueAt);
    this.lastDueAt = dueAt;
    setTimeout(() => this.write(chunk), dueAt - Date.now());
  }

  private write(chunk: Buffer): void {
    if (!this.target.destroyed && !this.dropping) this.target.write(chunk);
  }
}

export class TcpProxy {
  latencyMs = 0;
  blackholed: Direction | 'both' | false = false;
  /** Connections accepted since start, in total. */
  accepted = 0;
  /** Connections forgotten (idle past dropIdleAfter, or by forgetAll), in total. */
  forgottenCount = 0;
  private readonly links = new Set<Link>();
  private idleSweeper: NodeJS.Timeout | undefined;
  private listener: net.Server | undefined;
  private boundPort = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 forwarding to host:port. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.listen(0);
    return proxy;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open client connections through the proxy right now. */
  get openConnections(): number {
    return this.links.size;
  }

  /** The same URL with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.boundPort);
    return parsed.toString();
  }

  cutAll(): number {
    const count = this.links.size;
    for (const link of [...this.links]) this.dropLink(link);
    return count;
  }

  blackhole(direction: Direction | 'both' = 'both'): void {
    this.blackholed = direction;
  }

  setLatencyMs(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Like a NAT or a load balancer with an idle timeout: from now on, a connection that carried no
   * byte either way for longer than `ms` is forgotten (checked every 50 ms). undefined turns it off.
   */
  dropIdleAfter(ms: number | undefined): void {
    if (this.idleSweeper) clearInterval(this.idleSweeper);
    this.idleSweeper = undefined;
    if (ms === undefined) return;
    this.idleSweeper = setInterval(() => {
      const now = Date.now();
      for (const link of this.links) if (!link.forgotten && now - link.lastActivityAt > ms) this.forget(link);
    }, 50);
    this.idleSweeper.unref();
  }

  /** Forgets every open connection now; returns how many. */
  forgetAll(): number {
    let count = 0;
    for (const link of this.links) {
      if (link.forgotten) continue;
      this.forget(link);
      count++;
    }
    return count;
  }

  /** Open connections the proxy has not forgotten. */
  get liveConnections(): number {
    let count = 0;
    for (const link of this.links) if (!link.forgotten) count++;
    return count;
  }

  /** Closes the listener: new connections are refused (ECONNREFUSED); open ones carry on. */
  async refuseNew(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** Heals every fault: forwarding, no latency, listening again on the same port. */
  async resume(): Promise<void> {
    this.blackholed = false;
    this.latencyMs = 0;
    if (!this.listener) await this.listen(this.boundPort);
  }

  /** Stops listening and resets every socket. */
  async close(): Promise<void> {
    this.dropIdleAfter(undefined);
    this.cutAll();
    await this.refuseNew();
  }

  private listen(port: number): Promise<void> {
    const listener = net.createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, '127.0.0.1', () => {
        listener.off('error', reject);
        this.listener = listener;
        this.boundPort = (listener.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const server = net.connect(this.targetPort, this.targetHost);
    const link: Link = { client, server, lastActivityAt: Date.now(), forgotten: false };
    this.links.add(link);
    const toServer = new DelayedWriter(server, this, 'toServer', link);
    const toClient = new DelayedWriter(client, this, 'toClient', link);
    client.on('data', (chunk: Buffer) => toServer.push(chunk));
    server.on('data', (chunk: Buffer) => toClient.push(chunk));
    // Either side closing or failing takes the other down with it, as a real TCP path would; once
    // forgotten, the server's side going tells the client nothing.
    for (const socket of [client, server]) {
      const end = () => {
        if (!link.forgotten || socket === client) this.dropLink(link);
      };
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  private forget(link: Link): void {
    link.forgotten = true;
    this.forgottenCount++;
    if (!link.server.destroyed) link.server.resetAndDestroy();
  }

  private dropLink(link: Link): void {
    if (!this.links.delete(link)) return;
    for (const socket of [link.client, link.server]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }
}
