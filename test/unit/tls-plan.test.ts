import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTlsFiles, tlsPlanFor } from '../../adapters/tls';
import { ConfigError } from '../../src/shared/errors';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('sslMode mapped onto Node TLS options', () => {
  it('disable connects in plain text with no fallback', () => {
    expect(tlsPlanFor('disable', 'db.example.com')).toEqual({ first: false });
  });

  it('allow tries plain text first and TLS without verification only as the fallback', () => {
    expect(tlsPlanFor('allow', 'db.example.com')).toEqual({ first: false, fallback: { rejectUnauthorized: false } });
  });

  it('prefer tries TLS without verification first and plain text only as the fallback', () => {
    expect(tlsPlanFor('prefer', 'db.example.com')).toEqual({ first: { rejectUnauthorized: false }, fallback: false });
  });

  it('require encrypts without verifying the certificate and never falls back', () => {
    expect(tlsPlanFor('require', 'db.example.com')).toEqual({ first: { rejectUnauthorized: false } });
  });

  it('verify-ca checks the chain against the CA but accepts any host name', () => {
    const plan = tlsPlanFor('verify-ca', 'db.example.com', { ca: PEM });
    expect(plan.fallback).toBeUndefined();
    const first = plan.first as Exclude<typeof plan.first, false>;
    expect(first).toMatchObject({ ca: PEM, rejectUnauthorized: true });
    expect(first.checkServerIdentity?.('other.example.com', {} as never)).toBeUndefined();
  });

  it('verify-full checks the chain and the host name, using Node’s own host check', () => {
    const plan = tlsPlanFor('verify-full', 'db.example.com', { ca: PEM, cert: PEM, key: 'k' });
    expect(plan).toEqual({ first: { ca: PEM, cert: PEM, key: 'k', rejectUnauthorized: true, servername: 'db.example.com' } });
    expect((plan.first as { checkServerIdentity?: unknown }).checkServerIdentity).toBeUndefined();
  });

  it('sends no SNI server name for an IP address', () => {
    expect(tlsPlanFor('verify-full', '127.0.0.1').first).toMatchObject({ servername: undefined, rejectUnauthorized: true });
  });
});

describe('CA, certificate and key files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeguard-tls-'));
    writeFileSync(join(dir, 'ca.pem'), PEM);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads adapterOptions.ssl paths, or takes PEM text as it is', () => {
    expect(readTlsFiles({ ssl: { ca: join(dir, 'ca.pem'), cert: PEM } }, new URLSearchParams())).toEqual({ ca: PEM, cert: PEM });
  });

  it('reads libpq URL parameters sslrootcert, sslcert and sslkey when adapterOptions.ssl does not say', () => {
    const params = new URLSearchParams({ sslrootcert: join(dir, 'ca.pem') });
    expect(readTlsFiles({}, params)).toEqual({ ca: PEM });
  });

  it('names the setting and the file when a file cannot be read', () => {
    const read = () => readTlsFiles({ ssl: { ca: join(dir, 'missing.pem') } }, new URLSearchParams());
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/adapterOptions\.ssl\.ca=.*missing\.pem.*cannot be read/);
  });
});

describe('the plan in mysql2’s terms', () => {
  // Imported here, not at the top, only to keep the sections of this file apart.
  const { mysqlSslOptions } = require('../../adapters/mysql') as typeof import('../../adapters/mysql');

  it('sends no ssl option for plain text', () => {
    expect(mysqlSslOptions(false)).toBeUndefined();
  });

  it('require: encrypted, certificate not checked, host not checked', () => {
    expect(mysqlSslOptions(tlsPlanFor('require', 'db').first)).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
  });

  it('verify-ca: chain checked against the CA, host not checked', () => {
    expect(mysqlSslOptions(tlsPlanFor('verify-ca', 'db', { ca: PEM }).first)).toEqual({ ca: PEM, rejectUnauthorized: true, verifyIdentity: false });
  });

  it('verify-full: chain and host name checked (mysql2’s verifyIdentity)', () => {
    expect(mysqlSslOptions(tlsPlanFor('verify-full', 'db', { ca: PEM }).first)).toEqual({ ca: PEM, rejectUnauthorized: true, verifyIdentity: true });
  });
});
