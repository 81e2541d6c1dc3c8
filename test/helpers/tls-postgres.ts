/**
 * A private PostgreSQL that accepts TLS only (ssl=on, `hostssl` lines only in pg_hba.conf), its
 * certificate for localhost/127.0.0.1 signed by a throwaway CA. Also made: a second certificate from
 * the same CA for another host name, and a stranger CA, for the tests that must be refused.
 */
import { PgCluster, serverUserIds } from './pg-cluster';
import {
  handFilesTo,
  makeCertificateAuthority,
  makeServerCertificate,
  opensslMissing,
  removeCertificates,
  type CertificateAuthority,
  type ServerCertificate,
} from './tls-certs';

export interface TlsPostgres {
  cluster: PgCluster;
  ca: CertificateAuthority;
  strangerCa: CertificateAuthority;
  localCert: ServerCertificate;
  otherHostCert: ServerCertificate;
  /** Stops the server and removes the certificates. */
  destroy(): Promise<void>;
}

export async function startTlsPostgres(label = 'tls'): Promise<TlsPostgres> {
  if (opensslMissing()) throw new Error('openssl is needed to make the test certificates');
  const ca = await makeCertificateAuthority('ca');
  const strangerCa = await makeCertificateAuthority('stranger');
  try {
    const localCert = await makeServerCertificate(ca, 'local', ['localhost', '127.0.0.1']);
    const otherHostCert = await makeServerCertificate(ca, 'other', ['db.elsewhere.test']);
    const ids = serverUserIds();
    if (ids) handFilesTo(ca.dir, ids.uid, ids.gid);
    const cluster = await PgCluster.start({
      label,
      settings: { ssl: 'on', ssl_cert_file: `'${localCert.certFile}'`, ssl_key_file: `'${localCert.keyFile}'` },
      hbaLines: ['local all all trust', 'hostssl all all 127.0.0.1/32 trust', 'hostssl all all ::1/128 trust'],
    });
    return {
      cluster,
      ca,
      strangerCa,
      localCert,
      otherHostCert,
      async destroy() {
        await cluster.destroy();
        removeCertificates(ca);
        removeCertificates(strangerCa);
      },
    };
  } catch (err) {
    removeCertificates(ca);
    removeCertificates(strangerCa);
    throw err;
  }
}
