/**
 * Throwaway certificates for TLS tests, made with the openssl command line: a CA, and server
 * certificates it signs for the host names asked for. Everything lives in one temporary directory
 * that the caller removes; the keys are readable only by their owner, as servers demand.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeOwnedTempDir } from './pg-cluster';

export interface CertificateAuthority {
  dir: string;
  certFile: string;
  keyFile: string;
}

export interface ServerCertificate {
  certFile: string;
  keyFile: string;
}

export function opensslMissing(): boolean {
  return spawnSync('openssl', ['version']).status !== 0;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A new CA in its own temporary directory (owned by the postgres user when running as root). */
export async function makeCertificateAuthority(label = 'ca'): Promise<CertificateAuthority> {
  const dir = makeOwnedTempDir(`tls-${label}`);
  await openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', `${label}.key`, '-out', `${label}.crt`, '-days', '2', '-subj', `/CN=lifeguard throwaway ${label}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  return { dir, certFile: join(dir, `${label}.crt`), keyFile: join(dir, `${label}.key`) };
}

/**
 * A server certificate signed by `ca`, valid for `names` (DNS names and IP addresses), written next
 * to the CA. Its files are handed to `owner` (uid, gid) when given: a server reads its key as itself.
 */
export async function makeServerCertificate(ca: CertificateAuthority, label: string, names: string[]): Promise<ServerCertificate> {
  const san = names.map((name) => (/^[\d.]+$/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  writeFileSync(join(ca.dir, `${label}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  await openssl(['req', ...EC_KEY, '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', `/CN=${names[0]}`], ca.dir);
  await openssl(['x509', '-req', '-in', `${label}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-out', `${label}.crt`, '-days', '2', '-extfile', `${label}.ext`], ca.dir);
  chmodSync(join(ca.dir, `${label}.key`), 0o600);
  return { certFile: join(ca.dir, `${label}.crt`), keyFile: join(ca.dir, `${label}.key`) };
}

/** Gives every file in the directory to a user (the database server's), keys staying 0600. */
export function handFilesTo(dir: string, uid: number, gid: number): void {
  for (const file of readdirSync(dir)) chownSync(join(dir, file), uid, gid);
}

export function removeCertificates(ca: CertificateAuthority | undefined): void {
  if (ca) rmSync(ca.dir, { recursive: true, force: true });
}
