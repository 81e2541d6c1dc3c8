/**
 * sslMode against a real PostgreSQL that demands TLS: a private cluster with ssl=on and a pg_hba.conf
 * of `hostssl` lines only, its certificate signed by a throwaway CA made here with openssl. Then
 * the server's certificate is swapped (ALTER SYSTEM + reload) for one naming another host, which
 * verify-full must refuse and verify-ca must still accept.
 */
import { createPool, ConnectionError, PoolTimeoutError, type Pool, type PoolOptions, type SslMode } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { uniqueName } from '../helpers/databases';
import { describePgCluster, type PgCluster } from '../helpers/pg-cluster';
import type { CertificateAuthority, ServerCertificate } from '../helpers/tls-certs';
import { startTlsPostgres, type TlsPostgres } from '../helpers/tls-postgres';

const SSL_IN_USE = 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()';

describePgCluster('TLS to PostgreSQL, verified end to end', () => {
  jest.setTimeout(60_000);
  let ca: CertificateAuthority;
  let strangerCa: CertificateAuthority;
  let otherHostCert: ServerCertificate;
  let cluster: PgCluster;
  const pools: Pool[] = [];

  const open = (sslMode: SslMode, host = '127.0.0.1', caFile?: string, extra: PoolOptions = {}): Pool => {
    const query = caFile ? `sslrootcert=${encodeURIComponent(caFile)}` : '';
    const pool = createPool({
      name: uniqueName(`tls_${sslMode.replace('-', '_')}`),
      url: `postgres://postgres@${host}:${cluster.port}/postgres${query ? `?${query}` : ''}`,
      env: {},
      profile: 'test',
      logger: silentLogger,
      sslMode,
      max: 1,
      acquireTimeoutMs: 1500,
      connectTimeoutMs: 1500,
      ...extra,
    });
    pools.push(pool);
    return pool;
  };

  /** What the caller sees when a pool cannot connect: the pool's error and the driver's reason. */
  const connectFailure = async (pool: Pool): Promise<{ error: unknown; reason: string }> => {
    const error = await pool.acquire({ timeoutMs: 700 }).then(
      (lease) => lease.release(),
      (err: unknown) => err,
    );
    const cause = (error as { cause?: unknown } | undefined)?.cause;
    return { error, reason: cause instanceof Error ? cause.message : String(cause) };
  };

  let server: TlsPostgres;

  beforeAll(async () => {
    server = await startTlsPostgres('tls');
    ({ cluster, ca, strangerCa, otherHostCert } = server);
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close({ timeoutMs: 1000 })));
    await server?.destroy();
  });

  it('connects with require, and the session really is encrypted', async () => {
    const row = await open('require').query<{ ssl: boolean; version: string }>(SSL_IN_USE);
    expect(row.rows[0].ssl).toBe(true);
    expect(row.rows[0].version).toMatch(/^TLSv1\.[23]$/);
  });

  it('a query timeout cancels the statement through a TLS-only server (the cancel request goes over TLS too)', async () => {
    const pool = open('verify-full', '127.0.0.1', ca.certFile);
    const observer = open('require');
    const marker = uniqueName('tlscancel');
    const running = async () =>
      (await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`])).rows[0].n;
    await expect(pool.query(`SELECT pg_sleep(5) /* ${marker} */`, [], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
    const until = Date.now() + 1000;
    while ((await running()) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await running()).toBe(0);
  });

  it('connects with verify-ca and verify-full given the right CA, by IP address and by host name', async () => {
    for (const pool of [open('verify-ca', '127.0.0.1', ca.certFile), open('verify-full', '127.0.0.1', ca.certFile), open('verify-full', 'localhost', ca.certFile)]) {
      const row = await pool.query<{ ssl: boolean }>(SSL_IN_USE);
      expect(row.rows[0].ssl).toBe(true);
    }
  });

  it('refuses verify-ca and verify-full when the certificate is not signed by the given CA', async () => {
    for (const mode of ['verify-ca', 'verify-full'] as const) {
      const { error, reason } = await connectFailure(open(mode, '127.0.0.1', strangerCa.certFile));
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(reason).toMatch(/self[- ]signed|unable to (get|verify)/i);
    }
  });

  it('refuses verify-full without a CA (the system store does not know a throwaway CA)', async () => {
    const { error, reason } = await connectFailure(open('verify-full', '127.0.0.1'));
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect(reason).toMatch(/self[- ]signed|unable to (get|verify)/i);
  });

  it('fails disable against a server that demands TLS, with the server’s reason in the error', async () => {
    const { error, reason } = await connectFailure(open('disable'));
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as Error).message).toMatch(/Last connection failure: no pg_hba\.conf entry .* no encryption/);
    expect(reason).toMatch(/no pg_hba\.conf entry .* no encryption/);
    const warm = await open('disable', '127.0.0.1', undefined, { min: 1, acquireTimeoutMs: 700 }).warmup().catch((err: unknown) => err);
    expect(warm).toBeInstanceOf(ConnectionError);
    expect((warm as Error).message).toMatch(/could not open its 1 warm connections .* no encryption/);
  });

  it('upgrades allow and prefer to TLS when the server demands it', async () => {
    for (const mode of ['allow', 'prefer'] as const) {
      const row = await open(mode).query<{ ssl: boolean }>(SSL_IN_USE);
      expect(row.rows[0].ssl).toBe(true);
    }
  });

  it('refuses verify-full for a certificate naming another host, while verify-ca (no name check) still connects', async () => {
    await cluster.psql(`ALTER SYSTEM SET ssl_cert_file = '${otherHostCert.certFile}'`);
    await cluster.psql(`ALTER SYSTEM SET ssl_key_file = '${otherHostCert.keyFile}'`);
    await cluster.psql('SELECT pg_reload_conf()');
    // A reload takes effect for new connections once the postmaster has reread its files.
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (const host of ['127.0.0.1', 'localhost']) {
      const { error, reason } = await connectFailure(open('verify-full', host, ca.certFile));
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(reason).toMatch(/Hostname\/IP does not match certificate's altnames/);
      if (host === 'localhost') expect(reason).toContain('DNS:db.elsewhere.test');
    }
    const row = await open('verify-ca', '127.0.0.1', ca.certFile).query<{ ssl: boolean }>(SSL_IN_USE);
    expect(row.rows[0].ssl).toBe(true);
  });
});
