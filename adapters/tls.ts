import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SslMode } from '../src/config/types';
import { ConfigError } from '../src/shared/errors';
import type { ConnectCredentials } from './contract';

/**
 * TLS for the server adapters (pg, mysql2), from the libpq-style `sslMode` onto Node's own TLS
 * options, which both drivers pass to `tls.connect` untouched.
 *
 *   disable      plain TCP
 *   allow        plain first; TLS without verification only if the server refuses plain
 *   prefer       TLS without verification first; plain only if the server has no TLS at all
 *   require      TLS, certificate not verified (encrypted, not authenticated)
 *   verify-ca    TLS, certificate chain checked against the CA; host name not checked
 *   verify-full  TLS, chain checked and the host name must match the certificate
 *
 * Neither driver can fall back between TLS and plain by itself, so `allow` and `prefer` are done by
 * the adapter: it reconnects once the other way when the server answers with the specific
 * refusal (see `TlsPlan`). As with libpq, prefer and allow protect against eavesdropping only when
 * the server offers TLS, and never against an impostor: use verify-full in production.
 */
export interface TlsFiles {
  /** PEM text of the CA certificate(s) that sign the server's certificate. */
  ca?: string;
  /** PEM text of the client certificate, for servers that ask for one. */
  cert?: string;
  /** PEM text of the client's private key. */
  key?: string;
}

/** What connect() does: its first try, and the one fallback allowed (allow/prefer only). */
export interface TlsPlan {
  first: ConnectionOptions | false;
  /** Tried once when the first attempt fails with the server's refusal of that choice. */
  fallback?: ConnectionOptions | false;
}

/** Pure: the TLS options one sslMode stands for. `host` is the name verify-full checks. */
export function tlsPlanFor(mode: SslMode, host: string, files: TlsFiles = {}): TlsPlan {
  const unverified: ConnectionOptions = { ...files, rejectUnauthorized: false };
  switch (mode) {
    case 'disable':
      return { first: false };
    case 'allow':
      return { first: false, fallback: unverified };
    case 'prefer':
      return { first: unverified, fallback: false };
    case 'require':
      return { first: unverified };
    case 'verify-ca':
      // Chain checked by Node; the host-name check is replaced by one that accepts any name.
      return { first: { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined } };
    case 'verify-full':
      return { first: { ...files, rejectUnauthorized: true, servername: isIpAddress(host) ? undefined : host } };
  }
}

/** How one driver opens a connection and reads the server's answers to a TLS choice. */
export interface TlsDriverHooks<Raw> {
  open(tls: ConnectionOptions | false, signal: AbortSignal, credentials?: ConnectCredentials): Promise<Raw>;
  /** The server answered a TLS request with "no TLS here". */
  refusedTls(err: unknown): boolean;
  /** The server refused plain text because it demands TLS. */
  requiresTls(err: unknown): boolean;
  /** Rewords a plain-text failure that has no fallback, when the driver's own error hides the cause. */
  explainPlainFailure?(err: unknown): unknown;
}

/**
 * Connects by a plan. Neither pg nor mysql2 falls back between TLS and plain text by itself, so
 * allow and prefer get the one retry libpq makes. Once a server refused prefer's TLS request, later
 * connects go straight to plain text instead of paying a refused handshake each time.
 */
export function connectByTlsPlan<Raw>(
  plan: TlsPlan,
  driver: TlsDriverHooks<Raw>,
): (signal: AbortSignal, credentials?: ConnectCredentials) => Promise<Raw> {
  let plainOnly = false;
  return async (signal, credentials) => {
    const first = plainOnly ? false : plan.first;
    try {
      return await driver.open(first, signal, credentials);
    } catch (err) {
      if (plan.fallback === undefined || signal.aborted) throw first === false && driver.explainPlainFailure ? driver.explainPlainFailure(err) : err;
      if (first !== false && driver.refusedTls(err)) {
        plainOnly = true;
        return driver.open(false, signal, credentials);
      }
      if (first === false && driver.requiresTls(err)) return driver.open(plan.fallback, signal, credentials);
      throw err;
    }
  };
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * The CA, client certificate and key, from `adapterOptions.ssl` ({ ca, cert, key }: file paths or
 * PEM text) or, failing that, libpq's URL parameters `sslrootcert`, `sslcert`, `sslkey` (file paths).
 * A file that cannot be read is a ConfigError naming it, at pool creation, not a TLS failure later.
 */
export function readTlsFiles(adapterOptions: Record<string, unknown>, params: URLSearchParams): TlsFiles {
  const fromOptions = (adapterOptions.ssl ?? {}) as Record<string, unknown>;
  if (typeof fromOptions !== 'object' || fromOptions === null) {
    throw new ConfigError('adapterOptions.ssl', 'adapterOptions.ssl must be an object { ca?, cert?, key? } of file paths or PEM text.');
  }
  const files: TlsFiles = {};
  const pick = (field: keyof TlsFiles, param: string) => {
    const option = fromOptions[field];
    if (option !== undefined) files[field] = pemOrFile(`adapterOptions.ssl.${field}`, option);
    else if (params.get(param)) files[field] = pemOrFile(`URL parameter ${param}`, params.get(param));
  };
  pick('ca', 'sslrootcert');
  pick('cert', 'sslcert');
  pick('key', 'sslkey');
  return files;
}

function pemOrFile(setting: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(setting, `${setting} must be a file path or PEM text.`);
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new ConfigError(setting, `${setting}=${JSON.stringify(value)} cannot be read (${(err as Error).message}); give a readable PEM file.`);
  }
}
