/**
 * sslMode against a real MariaDB that demands TLS: a private mariadbd with --ssl-cert/--ssl-key/--ssl-ca
 * and require_secure_transport=ON, its certificate signed by a throwaway CA made here with openssl.
 * The certificate is then replaced on disk by one naming another host and reloaded (FLUSH SSL).
 */
import { copyFileSync } from 'node:fs';
import { createPool, ConnectionError, PoolTimeoutError, type Pool, type PoolOptions, type SslMode } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { REQUIRE_DATABASES, uniqueName } from '../helpers/databases';
import { MariadbServer, mariadbServerUnavailableReason } from '../helpers/mariadb-server';
import {
  makeCertificateAuthority,
  makeServerCertificate,
  opensslMissing,
  removeCertificates,
  type CertificateAuthority,
  type ServerCertificate,
} from '../helpers/tls-certs';

const unavailable = mariadbServerUnavailableReason() ?? (opensslMissing() ? 'openssl is not installed' : undefined);
if (unavailable && !REQUIRE_DATABASES) console.log(`MariaDB TLS suite: ${unavailable}; suite skipped`);
const describeServer = unavailable && !REQUIRE_DATABASES ? describe.skip : describe;

const CIPHER_IN_USE = "SHOW SESSION STATUS LIKE 'Ssl_version'";

describeServer('TLS to MariaDB, verified end to end', () => {
  jest.setTimeout(90_000);
  let ca: CertificateAuthority;
  let strangerCa: CertificateAuthority;
  let localCert: ServerCertificate;
  let otherHostCert: ServerCertificate;
  let server: MariadbServer;
  const pools: Pool[] = [];

  const open = (sslMode: SslMode, host = '127.0.0.1', caFile?: string, extra: PoolOptions = {}): Pool => {
    const query = caFile ? `sslrootcert=${encodeURIComponent(caFile)}` : '';
    const pool = createPool({
      name: uniqueName(`mtls_${sslMode.replace('-', '_')}`),
      url: `mysql://root@${host}:${server.port}/mysql${query ? `?${query}` : ''}`,
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

  const tlsVersion = async (pool: Pool): Promise<string> => {
    const result = await pool.query<{ Value: string }>(CIPHER_IN_USE);
    return result.rows[0].Value;
  };

  const connectFailure = async (pool: Pool): Promise<{ error: unknown; reason: string }> => {
    const error = await pool.acquire({ timeoutMs: 700 }).then(
      (lease) => lease.release(),
      (err: unknown) => err,
    );
    const cause = (error as { cause?: unknown } | undefined)?.cause;
    return { error, reason: cause instanceof Error ? cause.message : String(cause) };
  };

  beforeAll(async () => {
    if (unavailable) throw new Error(`MariaDB TLS suite needs its tools (REQUIRE_DATABASES=1): ${unavailable}`);
    ca = await makeCertificateAuthority('ca');
    strangerCa = await makeCertificateAuthority('stranger');
    localCert = await makeServerCertificate(ca, 'local', ['localhost', '127.0.0.1']);
    otherHostCert = await makeServerCertificate(ca, 'other', ['db.elsewhere.test']);
    // mariadbd reads its certificate from these paths, now and at FLUSH SSL.
    copyFileSync(localCert.certFile, `${ca.dir}/server.crt`);
    copyFileSync(localCert.keyFile, `${ca.dir}/server.key`);
    MariadbServer.handFilesTo(ca.dir);
    server = await MariadbServer.start(
      [`--ssl-ca=${ca.certFile}`, `--ssl-cert=${ca.dir}/server.crt`, `--ssl-key=${ca.dir}/server.key`, '--require-secure-transport=ON'],
      'mariadb-tls',
    );
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close({ timeoutMs: 1000 })));
    await server?.stop();
    removeCertificates(ca);
    removeCertificates(strangerCa);
  });

  it('connects with require, and the session really is encrypted', async () => {
    expect(await tlsVersion(open('require'))).toMatch(/^TLSv1\.[23]$/);
  });

  it('connects with verify-ca and verify-full given the right CA, by IP address and by host name', async () => {
    for (const pool of [open('verify-ca', '127.0.0.1', ca.certFile), open('verify-full', '127.0.0.1', ca.certFile), open('verify-full', 'localhost', ca.certFile)]) {
      expect(await tlsVersion(pool)).toMatch(/^TLSv1\.[23]$/);
    }
  });

  it('refuses verify-ca and verify-full when the certificate is not signed by the given CA', async () => {
    for (const mode of ['verify-ca', 'verify-full'] as const) {
      const { error, reason } = await connectFailure(open(mode, '127.0.0.1', strangerCa.certFile));
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(reason).toMatch(/self[- ]signed|unable to (get|verify)/i);
    }
  });

  it('fails disable against a server that demands TLS, with the server’s reason in the error', async () => {
    const { error, reason } = await connectFailure(open('disable'));
    expect(error).toBeInstanceOf(PoolTimeoutError);
    // MariaDB refuses with its generic 1045; the adapter adds that TLS may be what is missing.
    expect(reason).toMatch(/Access denied .* \(the connection did not use TLS: .*set sslMode to require/);
    const warm = await open('disable', '127.0.0.1', undefined, { min: 1, acquireTimeoutMs: 700 }).warmup().catch((err: unknown) => err);
    expect(warm).toBeInstanceOf(ConnectionError);
    expect((warm as Error).message).toMatch(/could not open its 1 warm connections .*the connection did not use TLS/);
  });

  it('upgrades allow and prefer to TLS when the server demands it', async () => {
    for (const mode of ['allow', 'prefer'] as const) {
      expect(await tlsVersion(open(mode))).toMatch(/^TLSv1\.[23]$/);
    }
  });

  it('refuses verify-full for a certificate naming another host, while verify-ca (no name check) still connects', async () => {
    copyFileSync(otherHostCert.certFile, `${ca.dir}/server.crt`);
    copyFileSync(otherHostCert.keyFile, `${ca.dir}/server.key`);
    await open('require').query('FLUSH SSL');
    for (const host of ['127.0.0.1', 'localhost']) {
      const { error, reason } = await connectFailure(open('verify-full', host, ca.certFile));
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(reason).toMatch(/Hostname\/IP does not match certificate's altnames/);
      if (host === 'localhost') expect(reason).toContain('DNS:db.elsewhere.test');
    }
    expect(await tlsVersion(open('verify-ca', '127.0.0.1', ca.certFile))).toMatch(/^TLSv1\.[23]$/);
  });
});
