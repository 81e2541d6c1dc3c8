/**
 * The fault harness itself: each fault it claims to inject really happens to a plain pg client,
 * so the pool tests that rely on it are proving something.
 */
import { Client } from 'pg';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { PostgresBackendKiller } from './harness/backend-killer';
import { TcpProxy } from './harness/tcp-proxy';
import { PgCluster, pgClusterUnavailableReason } from '../helpers/pg-cluster';

async function connected(url: string, applicationName = uniqueName('harness')): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: applicationName, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describePostgres('fault harness on PostgreSQL', () => {
  let proxy: TcpProxy;
  const clients: Client[] = [];
  beforeEach(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await proxy.close();
  });

  it('forwards queries, then cutAll() breaks every open connection', async () => {
    const client = await connected(proxy.urlFor(POSTGRES_URL));
    clients.push(client);
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect(proxy.cutAll()).toBe(1);
    await expect(client.query('SELECT 1')).rejects.toThrow();
  });

  it('blackhole() leaves sockets open but silent, and refuseNew() refuses connections until resume()', async () => {
    const client = await connected(proxy.urlFor(POSTGRES_URL));
    clients.push(client);
    proxy.blackhole();
    const outcome = await Promise.race([client.query('SELECT 1').then(() => 'answered', () => 'failed'), sleep(300).then(() => 'silent')]);
    expect(outcome).toBe('silent');
    expect(proxy.openConnections).toBe(1);
    await proxy.resume();
    proxy.cutAll();
    await proxy.refuseNew();
    await expect(connected(proxy.urlFor(POSTGRES_URL))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.resume();
    const again = await connected(proxy.urlFor(POSTGRES_URL));
    clients.push(again);
    expect((await again.query('SELECT 2 AS two')).rows[0].two).toBe(2);
  });

  it('setLatencyMs() delays every round trip', async () => {
    const client = await connected(proxy.urlFor(POSTGRES_URL));
    clients.push(client);
    proxy.setLatencyMs(100);
    const started = Date.now();
    await client.query('SELECT 1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190); // 100 ms each way
  });

  it('dropIdleAfter() forgets a quiet connection silently, like a NAT, and keeps a busy one', async () => {
    const quiet = await connected(proxy.urlFor(POSTGRES_URL));
    const busy = await connected(proxy.urlFor(POSTGRES_URL));
    clients.push(quiet, busy);
    proxy.dropIdleAfter(300);
    for (let i = 0; i < 10; i++) {
      await busy.query('SELECT 1');
      await sleep(60);
    }
    expect(proxy.forgottenCount).toBe(1);
    // From here on the busy one must not be forgotten for being quiet while the quiet one is tried.
    proxy.dropIdleAfter(undefined);
    const closed = new Promise<string>((resolve) => quiet.once('end', () => resolve('ended')));
    const outcome = await Promise.race([quiet.query('SELECT 1').then(() => 'answered', () => 'failed'), closed, sleep(500).then(() => 'silent')]);
    expect(outcome).toBe('silent');
    expect((await busy.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    expect(proxy.forgetAll()).toBe(1);
    const busyOutcome = await Promise.race([busy.query('SELECT 1').then(() => 'answered', () => 'failed'), sleep(300).then(() => 'silent')]);
    expect(busyOutcome).toBe('silent');
  });

  it('the backend killer terminates only the backends with its application_name', async () => {
    const name = uniqueName('harness_kill');
    const mine = await connected(POSTGRES_URL, name);
    const other = await connected(POSTGRES_URL, `${name}_other`);
    clients.push(mine, other);
    const killer = await PostgresBackendKiller.connect(POSTGRES_URL, name);
    try {
      expect(await killer.killAll()).toBe(1);
      await expect(mine.query('SELECT 1')).rejects.toThrow();
      expect((await other.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await killer.close();
    }
  });
});

(pgClusterUnavailableReason() === undefined ? describe : describe.skip)('private PostgreSQL cluster (test/helpers/pg-cluster.ts) as the fault tests use it', () => {
  it('stops, refuses connections while down, and starts again on the same port', async () => {
    const cluster = await PgCluster.start({ label: 'faults-harness' });
    try {
      const client = await connected(cluster.url());
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await client.end();
      await cluster.stopServer('fast');
      await expect(connected(cluster.url())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await cluster.startServer();
      const again = await connected(cluster.url());
      await again.end();
    } finally {
      await cluster.destroy();
    }
  }, 60_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
